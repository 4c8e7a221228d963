package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;

/**
 * Float views of little-endian elements of the dtypes that low-rank and ia3 reconstruct in (F32, F16,
 * BF16). Reconstruction is float32 arithmetic in a fixed order, so encoder and decoder agree bit for bit.
 */
final class Elements {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Elements() {}

    static boolean reconstructs(DType t) { return t == DType.F32 || t == DType.F16 || t == DType.BF16; }

    /** Element {@code i} (not byte offset) of {@code seg}. */
    static float get(MemorySegment seg, DType t, long i) {
        return switch (t) {
            case F32 -> seg.get(FLOAT, i * 4);
            case F16 -> Floats.f16ToFloat(seg.get(SHORT, i * 2));
            case BF16 -> Floats.bf16ToFloat(seg.get(SHORT, i * 2));
            default -> throw new IllegalArgumentException(t + " is not reconstructed in float32");
        };
    }

    /** The float dtypes lossy low-rank storage approximates: those reconstructed in float32, and F64 in double. */
    static boolean approximates(DType t) { return reconstructs(t) || t == DType.F64; }

    /** Element {@code i} of a dtype that {@link #approximates} as a double. */
    static double wide(MemorySegment seg, DType t, long i) { return t == DType.F64 ? seg.get(DOUBLE, i * 8) : get(seg, t, i); }

    static void putF64(MemorySegment seg, long i, double v) { seg.set(DOUBLE, i * 8, v); }

    /** Writes {@code v} rounded to {@code t} as element {@code i}. */
    static void put(MemorySegment seg, DType t, long i, float v) {
        switch (t) {
            case F32 -> seg.set(FLOAT, i * 4, v);
            case F16 -> seg.set(SHORT, i * 2, Floats.floatToF16(v));
            case BF16 -> seg.set(SHORT, i * 2, Floats.floatToBf16(v));
            default -> throw new IllegalArgumentException(t + " is not reconstructed in float32");
        }
    }

    /** Little-endian float32 array, the form factors and scaling vectors are stored in. */
    static byte[] toBytes(float[] v) {
        byte[] b = new byte[v.length * 4];
        MemorySegment.copy(v, 0, MemorySegment.ofArray(b), FLOAT, 0, v.length);
        return b;
    }

    static float[] toFloats(byte[] b) {
        float[] v = new float[b.length / 4];
        MemorySegment.copy(MemorySegment.ofArray(b), FLOAT, 0, v, 0, v.length);
        return v;
    }
}
