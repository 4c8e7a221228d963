package org.gittheta.diff;

import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One side of a parameter in a diff.
 *
 * @param update      how it is stored ({@code dense}, ...); empty for a file in the working tree
 * @param storedBytes bytes of its own object in the store; empty for a file in the working tree
 */
public record ParamInfo(String name, DType dtype, Shape shape, Optional<String> update, Optional<Long> storedBytes) {
    public long numel() { return shape.numel(); }

    public long byteSize() { return dtype.byteSize(shape.numel()); }
}
