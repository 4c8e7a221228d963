package org.gittheta.format;

import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One named tensor of a PyTorch checkpoint, as a view of the storage held by slot {@code slot}: element
 * {@code [i0, i1, ...]} is storage element {@code storageOffset + i0 * stride[0] + i1 * stride[1] + ...}.
 * A tensor whose name differs from its slot's is an alias (a tied weight, a transpose, a slice).
 */
public record TorchTensor(String name, String slot, DType dtype, Shape shape, long storageOffset, List<Long> stride) {
    public TorchTensor {
        stride = List.copyOf(stride);
    }

    /** Whether this tensor shares the storage another (earlier) tensor names. */
    public boolean isAlias() {
        return !name.equals(slot);
    }
}
