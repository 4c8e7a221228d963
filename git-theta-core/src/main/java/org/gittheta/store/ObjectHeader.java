package org.gittheta.store;

import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * What an object says about itself: the update kind that wrote it (a code the update package owns),
 * the parameter's dtype and shape, the objects it is a delta against, and small kind-specific
 * parameters (for example a LoRA scale), opaque to the store.
 */
public record ObjectHeader(int kind, DType dtype, Shape shape, List<ObjectId> bases, byte[] params) {
    public ObjectHeader {
        bases = List.copyOf(bases);
        params = params.clone();
        if (bases.size() > 255) throw new IllegalArgumentException(bases.size() + " bases; at most 255");
        if (params.length > 65535)
            throw new IllegalArgumentException(params.length + " bytes of parameters; at most 65535");
    }

    @Override
    public byte[] params() {
        return params.clone();
    }
}
