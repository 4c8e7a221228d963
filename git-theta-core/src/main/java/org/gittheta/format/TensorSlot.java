package org.gittheta.format;

import java.util.Objects;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/** One tensor's place in a checkpoint file. offset is absolute in the file; length in bytes. */
public record TensorSlot(String name, DType dtype, Shape shape, long offset, long length) {
    public TensorSlot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (offset < 0) throw new IllegalArgumentException("tensor '" + name + "': offset " + offset + " is negative");
        if (length < 0) throw new IllegalArgumentException("tensor '" + name + "': length " + length + " is negative");
    }

    /** Offset of the first byte after this tensor. */
    public long end() {
        return offset + length;
    }

    /** The byte size of a tensor a file describes, refused as the file's fault when it overflows or is not whole. */
    static long byteSize(String file, String name, DType dtype, Shape shape) throws BadCheckpointException {
        try {
            Math.multiplyExact(shape.numel(), (long) dtype.bits());
        } catch (ArithmeticException e) {
            throw new BadCheckpointException(file, name, "byte size of shape " + shape + " of " + dtype + " overflows");
        }
        try {
            return dtype.byteSize(shape.numel());
        } catch (ArithmeticException e) {
            throw new BadCheckpointException(file, name, "shape " + shape + ": " + e.getMessage());
        }
    }
}
