package org.gittheta.diff;

import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One side of a parameter in a diff.
 *
 * @param update      how it is stored ({@code dense}, ...); empty for a file in the working tree
 * @param storedBytes bytes of its own object in the store; empty for a file in the working tree
 * @param shard       the shard file that holds it, as the index names it; empty for a checkpoint that is one file
 */
public record ParamInfo(
        String name,
        DType dtype,
        Shape shape,
        Optional<String> update,
        Optional<Long> storedBytes,
        Optional<String> shard) {
    public ParamInfo(String name, DType dtype, Shape shape, Optional<String> update, Optional<Long> storedBytes) {
        this(name, dtype, shape, update, storedBytes, Optional.empty());
    }

    public long numel() {
        return shape.numel();
    }

    public long byteSize() {
        return dtype.byteSize(shape.numel());
    }

    ParamInfo inShard(String file) {
        return new ParamInfo(name, dtype, shape, update, storedBytes, Optional.of(file));
    }
}
