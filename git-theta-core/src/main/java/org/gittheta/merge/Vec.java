package org.gittheta.merge;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;

/**
 * A flat little-endian float tensor (F64, F32, F16 or BF16) over a memory segment, read and written as doubles.
 * Writes round to nearest even: doubles to float32 first, then to the 16-bit type.
 */
public record Vec(MemorySegment seg, DType dtype) {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Vec {
        if (!supports(dtype)) throw new IllegalArgumentException("merge arithmetic does not handle " + dtype);
    }

    /** The types merge arithmetic reads and writes; other types are merged by choosing a side. */
    public static boolean supports(DType dtype) {
        return dtype == DType.F64 || dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16;
    }

    public long size() { return seg.byteSize() / dtype.byteWidth(); }

    public double get(long i) {
        return switch (dtype) {
            case F64 -> seg.getAtIndex(F64, i);
            case F32 -> seg.getAtIndex(F32, i);
            case F16 -> Floats.f16ToFloat(seg.getAtIndex(I16, i));
            case BF16 -> Floats.bf16ToFloat(seg.getAtIndex(I16, i));
            default -> throw new AssertionError(dtype);
        };
    }

    public void set(long i, double v) {
        switch (dtype) {
            case F64 -> seg.setAtIndex(F64, i, v);
            case F32 -> seg.setAtIndex(F32, i, (float) v);
            case F16 -> seg.setAtIndex(I16, i, Floats.floatToF16((float) v));
            case BF16 -> seg.setAtIndex(I16, i, Floats.floatToBf16((float) v));
            default -> throw new AssertionError(dtype);
        }
    }
}
