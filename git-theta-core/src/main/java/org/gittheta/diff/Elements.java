package org.gittheta.diff;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;

/**
 * Reads elements of a little-endian tensor as numbers for statistics: every float type as its exact double,
 * integers as their value (exact up to 2^53), bool as 0 or 1. Packed sub-byte floats, complex numbers and
 * ggml's quantized blocks have no reader: their parameters are compared by hash only.
 */
public final class Elements {
    /** Element {@code i} of {@code values} as a double. */
    @FunctionalInterface
    public interface Reader { double at(MemorySegment values, long i); }

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Elements() {}

    public static Optional<Reader> reader(DType dtype) {
        return Optional.ofNullable(switch (dtype) {
            case BOOL -> (s, i) -> s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            case U8 -> (s, i) -> s.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            case I8 -> (s, i) -> s.get(ValueLayout.JAVA_BYTE, i);
            case U16 -> (s, i) -> s.getAtIndex(I16, i) & 0xffff;
            case I16 -> (s, i) -> s.getAtIndex(I16, i);
            case U32 -> (s, i) -> s.getAtIndex(I32, i) & 0xffffffffL;
            case I32 -> (s, i) -> s.getAtIndex(I32, i);
            case U64 -> (s, i) -> unsignedToDouble(s.getAtIndex(I64, i));
            case I64 -> (s, i) -> s.getAtIndex(I64, i);
            case F16 -> (s, i) -> Floats.f16ToFloat(s.getAtIndex(I16, i));
            case BF16 -> (s, i) -> Floats.bf16ToFloat(s.getAtIndex(I16, i));
            case F32 -> (s, i) -> s.getAtIndex(F32, i);
            case F64 -> (s, i) -> s.getAtIndex(F64, i);
            case F8_E4M3 -> (s, i) -> f8e4m3(s.get(ValueLayout.JAVA_BYTE, i));
            // E5M2 is the top byte of an IEEE half
            case F8_E5M2 -> (s, i) -> Floats.f16ToFloat((short) (s.get(ValueLayout.JAVA_BYTE, i) << 8));
            case F8_E8M0 -> (s, i) -> f8e8m0(s.get(ValueLayout.JAVA_BYTE, i));
            case F6_E2M3, F6_E3M2, F4, C64 -> null;
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ2_XXS, IQ2_XS, IQ3_XXS,
                 IQ1_S, IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, IQ1_M, TQ1_0, TQ2_0, MXFP4 -> null;
        });
    }

    /** Element {@code i}'s raw bits. */
    @FunctionalInterface
    public interface BitsReader { long at(MemorySegment values, long i); }

    /** Raw bits, for exact comparison of two tensors of the same dtype (NaN payloads and -0 included). */
    public static BitsReader bits(DType dtype) {
        return switch (dtype.byteWidth()) {
            case 1 -> (s, i) -> s.get(ValueLayout.JAVA_BYTE, i);
            case 2 -> (s, i) -> s.getAtIndex(I16, i);
            case 4 -> (s, i) -> s.getAtIndex(I32, i);
            default -> (s, i) -> s.getAtIndex(I64, i);
        };
    }

    static double unsignedToDouble(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /** OCP FP8 E4M3 ("fn"): bias 7, no infinities, S.1111.111 is NaN. */
    static double f8e4m3(byte b) {
        int sign = (b & 0x80) != 0 ? -1 : 1;
        int exp = (b >>> 3) & 0xf;
        int man = b & 0x7;
        if (exp == 0xf && man == 0x7) return Double.NaN;
        double v = exp == 0 ? Math.scalb(man / 8.0, -6) : Math.scalb(1 + man / 8.0, exp - 7);
        return sign * v;
    }

    /** OCP E8M0 scale: 2^(e-127), 0xFF is NaN. */
    static double f8e8m0(byte b) {
        int e = b & 0xff;
        return e == 0xff ? Double.NaN : Math.scalb(1.0, e - 127);
    }
}
