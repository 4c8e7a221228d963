package org.gittheta.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The elements of a flat little-endian tensor in a memory segment, as numbers. Reads give every float type's
 * exact value, integers their value (exact up to 2^53) and bool 0 or 1; packed sub-byte floats and complex numbers
 * have no numeric reading ({@link #readable}). Writes, to the {@link #writable} float types, round to nearest even:
 * doubles to float32 first, then to the 16-bit type. Element accessors switch on the dtype, a final field, so a loop
 * over one view stays monomorphic; the bulk reads switch once per call.
 */
public record TensorView(MemorySegment segment, DType dtype) {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE);

    /** Whether elements of {@code t} read as numbers: every type but packed sub-byte floats, complex and quantized. */
    public static boolean readable(DType t) {
        return t.kind() != DType.Kind.QUANTIZED
                && t != DType.F6_E2M3
                && t != DType.F6_E3M2
                && t != DType.F4
                && t != DType.C64;
    }

    /** The float types arithmetic writes: F64, F32, F16, BF16. */
    public static boolean writable(DType t) {
        return t == DType.F64 || t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** Little-endian float32 bytes of {@code v}: the form factors and scaling vectors are stored in. */
    public static byte[] f32Bytes(float[] v) {
        byte[] b = new byte[v.length * 4];
        MemorySegment.copy(v, 0, MemorySegment.ofArray(b), F32, 0, v.length);
        return b;
    }

    /** Number of elements. */
    public long count() {
        return segment.byteSize() / dtype.byteWidth();
    }

    /** Element {@code i}'s exact value. */
    public double get(long i) {
        return switch (dtype) {
            case BOOL -> segment.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            case U8 -> segment.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            case I8 -> segment.get(ValueLayout.JAVA_BYTE, i);
            case U16 -> segment.getAtIndex(I16, i) & 0xffff;
            case I16 -> segment.getAtIndex(I16, i);
            case U32 -> segment.getAtIndex(I32, i) & 0xffffffffL;
            case I32 -> segment.getAtIndex(I32, i);
            case U64 -> unsignedToDouble(segment.getAtIndex(I64, i));
            case I64 -> segment.getAtIndex(I64, i);
            case F16 -> Floats.f16ToFloat(segment.getAtIndex(I16, i));
            case BF16 -> Floats.bf16ToFloat(segment.getAtIndex(I16, i));
            case F32 -> segment.getAtIndex(F32, i);
            case F64 -> segment.getAtIndex(F64, i);
            case F8_E4M3 -> Floats.f8e4m3ToDouble(segment.get(ValueLayout.JAVA_BYTE, i));
            case F8_E5M2 -> Floats.f8e5m2ToFloat(segment.get(ValueLayout.JAVA_BYTE, i));
            case F8_E8M0 -> Floats.f8e8m0ToDouble(segment.get(ValueLayout.JAVA_BYTE, i));
            default -> throw new UnsupportedOperationException(dtype + " elements have no numeric reading");
        };
    }

    /** Element {@code i} as a float: exact for F32, F16 and BF16, the float32 arithmetic of reconstructions. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32, i);
            case F16 -> Floats.f16ToFloat(segment.getAtIndex(I16, i));
            case BF16 -> Floats.bf16ToFloat(segment.getAtIndex(I16, i));
            default -> (float) get(i);
        };
    }

    /** Writes {@code v} rounded to the dtype as element {@code i}. */
    public void set(long i, double v) {
        if (dtype == DType.F64) segment.setAtIndex(F64, i, v);
        else setFloat(i, (float) v);
    }

    /** Writes {@code v} rounded to the dtype as element {@code i}. */
    public void setFloat(long i, float v) {
        switch (dtype) {
            case F64 -> segment.setAtIndex(F64, i, v);
            case F32 -> segment.setAtIndex(F32, i, v);
            case F16 -> segment.setAtIndex(I16, i, Floats.floatToF16(v));
            case BF16 -> segment.setAtIndex(I16, i, Floats.floatToBf16(v));
            default -> throw new UnsupportedOperationException("arithmetic does not write " + dtype);
        }
    }

    /**
     * Writes {@code src[0, n)} rounded to the dtype as elements {@code [from, from + n)}, as {@link #set} does: a loop
     * over the segment's elements with the dtype switched once, which the JIT compiles with one bounds check.
     */
    public void set(long from, double[] src, int n) {
        switch (dtype) {
            case F64 -> MemorySegment.copy(src, 0, segment, F64, from * 8, n);
            case F32 -> {
                for (int j = 0; j < n; j++) segment.setAtIndex(F32, from + j, (float) src[j]);
            }
            case F16 -> {
                for (int j = 0; j < n; j++) segment.setAtIndex(I16, from + j, Floats.floatToF16((float) src[j]));
            }
            case BF16 -> {
                for (int j = 0; j < n; j++) segment.setAtIndex(I16, from + j, Floats.floatToBf16((float) src[j]));
            }
            default -> throw new UnsupportedOperationException("arithmetic does not write " + dtype);
        }
    }

    /**
     * Whether no element is NaN or infinite. For the float types from the exponent bits alone, 32 bits (two 16-bit
     * elements) at a time: (bits &amp; exponent) + its lowest bit sets the sign bit exactly where the exponent is all
     * ones, so OR-ing them up is a loop the JIT vectorises, where a test per element is not.
     */
    public boolean allFinite() {
        return switch (dtype) {
            case F32 -> exponentsBelowMax(0x7f800000, 0x00800000);
            case BF16 -> exponentsBelowMax(0x7f807f80, 0x00800080);
            case F16 -> exponentsBelowMax(0x7c007c00, 0x04000400);
            default -> {
                for (long i = 0, n = count(); i < n; i++) if (!Double.isFinite(get(i))) yield false;
                yield true;
            }
        };
    }

    private boolean exponentsBelowMax(int exponent, int lowestBit) {
        long words = segment.byteSize() / 4;
        int any = 0;
        for (long i = 0; i < words; i++) any |= (segment.getAtIndex(I32, i) & exponent) + lowestBit;
        if (words * 4 < segment.byteSize())
            any |= (segment.get(I16, words * 4) & 0xffff & exponent) + lowestBit; // odd count
        return (any & (exponent + lowestBit)) == 0;
    }

    /** Element {@code i}'s raw bits, for exact comparison (NaN payloads and -0 included). */
    public long bits(long i) {
        return switch (dtype.byteWidth()) {
            case 1 -> segment.get(ValueLayout.JAVA_BYTE, i);
            case 2 -> segment.getAtIndex(I16, i);
            case 4 -> segment.getAtIndex(I32, i);
            default -> segment.getAtIndex(I64, i);
        };
    }

    /** Elements {@code [from, from + n)} into {@code dst[0, n)}, as {@link #get} reads them (dtype switched once). */
    public void get(long from, double[] dst, int n) {
        switch (dtype) {
            case BF16 -> {
                double[] value = Bf16Values.VALUE;
                for (int j = 0; j < n; j++) dst[j] = value[segment.getAtIndex(I16, from + j) & 0xffff];
            }
            case F16 -> {
                for (int j = 0; j < n; j++) dst[j] = Floats.f16ToFloat(segment.getAtIndex(I16, from + j));
            }
            case F32 -> {
                for (int j = 0; j < n; j++) dst[j] = segment.getAtIndex(F32, from + j);
            }
            case F64 -> MemorySegment.copy(segment, F64, from * 8, dst, 0, n);
            default -> {
                for (int j = 0; j < n; j++) dst[j] = get(from + j);
            }
        }
    }

    /** Raw bits of elements {@code [from, from + n)} into {@code dst[0, n)}, as {@link #bits} reads them. */
    public void bits(long from, long[] dst, int n) {
        switch (dtype.byteWidth()) {
            case 1 -> {
                for (int j = 0; j < n; j++) dst[j] = segment.get(ValueLayout.JAVA_BYTE, from + j);
            }
            case 2 -> {
                for (int j = 0; j < n; j++) dst[j] = segment.getAtIndex(I16, from + j);
            }
            case 4 -> {
                for (int j = 0; j < n; j++) dst[j] = segment.getAtIndex(I32, from + j);
            }
            default -> MemorySegment.copy(segment, I64, from * 8, dst, 0, n);
        }
    }

    /** Every element as a float ({@link #getFloat}): for small tensors such as factors. */
    public float[] toFloatArray() {
        float[] v = new float[Math.toIntExact(count())];
        if (dtype == DType.F32) MemorySegment.copy(segment, F32, 0, v, 0, v.length);
        else for (int i = 0; i < v.length; i++) v[i] = getFloat(i);
        return v;
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /**
     * The value of every bf16 bit pattern: a table read per element is ~1.5x the speed of the conversion, two moves
     * between registers that C2 does not vectorise; weights take few distinct exponents, so the rows read stay cached.
     */
    private static final class Bf16Values {
        static final double[] VALUE = new double[1 << 16];

        static {
            for (int bits = 0; bits < VALUE.length; bits++) VALUE[bits] = Floats.bf16ToFloat((short) bits);
        }
    }
}
