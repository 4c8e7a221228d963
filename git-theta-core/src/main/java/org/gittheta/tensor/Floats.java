package org.gittheta.tensor;

/** Conversions between float32 and the 16-bit float formats, rounding to nearest even; readings of the 8-bit ones. */
public final class Floats {
    private Floats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((x >>> 16) | 0x40); // keep sign and payload top, force quiet
        int rounding = 0x7fff + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** OCP FP8 E4M3 ("fn"): bias 7, no infinities, S.1111.111 is NaN. */
    public static double f8e4m3ToDouble(byte b) {
        int sign = (b & 0x80) != 0 ? -1 : 1;
        int exp = (b >>> 3) & 0xf;
        int man = b & 0x7;
        if (exp == 0xf && man == 0x7) return Double.NaN;
        double v = exp == 0 ? Math.scalb(man / 8.0, -6) : Math.scalb(1 + man / 8.0, exp - 7);
        return sign * v;
    }

    /** OCP FP8 E5M2: the top byte of an IEEE half. */
    public static float f8e5m2ToFloat(byte b) {
        return f16ToFloat((short) (b << 8));
    }

    /** OCP E8M0 scale: 2^(e-127), 0xFF is NaN. */
    public static double f8e8m0ToDouble(byte b) {
        int e = b & 0xff;
        return e == 0xff ? Double.NaN : Math.scalb(1.0, e - 127);
    }
}
