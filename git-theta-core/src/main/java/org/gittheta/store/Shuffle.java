package org.gittheta.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Byte shuffling by element width; a trailing partial element is left in place. */
public final class Shuffle {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long EVEN_BYTES = 0x00FF00FF00FF00FFL;
    private static final long ODD_BYTES = ~EVEN_BYTES;
    private static final long EVEN_SHORTS = 0x0000FFFF0000FFFFL;

    private Shuffle() {}

    static byte[] shuffle(byte[] in, int len, int width) {
        byte[] out = new byte[len];
        shuffle(in, len, width, out);
        return out;
    }

    /** Shuffles {@code in[0..len)} into {@code out[0..len)}. */
    static void shuffle(byte[] in, int len, int width, byte[] out) {
        int n = width <= 1 ? 0 : len / width;
        int done = width == 2 ? shuffle2(in, n, out) : 0;
        for (int b = 0; b < width && n > 0; b++) {
            int dst = b * n;
            for (int i = done, src = done * width + b; i < n; i++, src += width) out[dst + i] = in[src];
        }
        System.arraycopy(in, n * width, out, n * width, len - n * width);
    }

    static void unshuffle(byte[] in, int len, int width, byte[] out) {
        unshuffle(in, len, width, out, false);
    }

    /**
     * Puts the elements back together into {@code out}, or with {@code xor} XORs them into what {@code out} holds (an
     * XOR delta applied in the same pass, without a buffer of its own).
     */
    static void unshuffle(byte[] in, int len, int width, byte[] out, boolean xor) {
        int n = width <= 1 ? 0 : len / width;
        int done = width == 2 ? unshuffle2(in, n, out, xor) : 0;
        for (int b = 0; b < width && n > 0; b++) {
            int src = b * n;
            if (xor) {
                for (int i = done, dst = done * width + b; i < n; i++, dst += width) out[dst] ^= in[src + i];
            } else {
                for (int i = done, dst = done * width + b; i < n; i++, dst += width) out[dst] = in[src + i];
            }
        }
        if (xor) {
            xor(in, n * width, out, n * width, len - n * width);
        } else {
            System.arraycopy(in, n * width, out, n * width, len - n * width);
        }
    }

    /** {@code out[outAt..outAt+len) ^= in[inAt..inAt+len)}, eight bytes at a time. */
    public static void xor(byte[] in, int inAt, byte[] out, int outAt, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            LONG.set(out, outAt + i, (long) LONG.get(out, outAt + i) ^ (long) LONG.get(in, inAt + i));
        }
        for (; i < len; i++) out[outAt + i] ^= in[inAt + i];
    }

    /**
     * Two-byte elements (bf16, f16: the weights of most models): eight at a time where the CPU extracts bits in one
     * instruction ({@link Long#compress}, x86's PEXT: ~3x the speed measured here), else four at a time, the low and
     * the high bytes of eight input bytes gathered with shifts and masks into two ints. Returns how many elements it
     * did.
     */
    private static int shuffle2(byte[] in, int n, byte[] out) {
        int i = 0;
        if (FastBitExtract.AVAILABLE) {
            for (; i + 8 <= n; i += 8) {
                long x0 = (long) LONG.get(in, 2 * i);
                long x1 = (long) LONG.get(in, 2 * i + 8);
                LONG.set(out, i, Long.compress(x0, EVEN_BYTES) | Long.compress(x1, EVEN_BYTES) << 32);
                LONG.set(out, n + i, Long.compress(x0, ODD_BYTES) | Long.compress(x1, ODD_BYTES) << 32);
            }
        }
        for (; i + 4 <= n; i += 4) {
            long x = (long) LONG.get(in, 2 * i);
            INT.set(out, i, gatherEvenBytes(x));
            INT.set(out, n + i, gatherEvenBytes(x >>> 8));
        }
        return i;
    }

    /** The inverse of {@link #shuffle2}: eight elements at a time with {@link Long#expand} (PDEP) where it is fast. */
    private static int unshuffle2(byte[] in, int n, byte[] out, boolean xor) {
        int i = 0;
        if (FastBitExtract.AVAILABLE) {
            for (; i + 8 <= n; i += 8) {
                long lo = (long) LONG.get(in, i);
                long hi = (long) LONG.get(in, n + i);
                long v0 = Long.expand(lo, EVEN_BYTES) | Long.expand(hi, ODD_BYTES);
                long v1 = Long.expand(lo >>> 32, EVEN_BYTES) | Long.expand(hi >>> 32, ODD_BYTES);
                LONG.set(out, 2 * i, xor ? (long) LONG.get(out, 2 * i) ^ v0 : v0);
                LONG.set(out, 2 * i + 8, xor ? (long) LONG.get(out, 2 * i + 8) ^ v1 : v1);
            }
        }
        for (; i + 4 <= n; i += 4) {
            long lo = spreadToEvenBytes((int) INT.get(in, i));
            long hi = spreadToEvenBytes((int) INT.get(in, n + i));
            long v = lo | hi << 8;
            LONG.set(out, 2 * i, xor ? (long) LONG.get(out, 2 * i) ^ v : v);
        }
        return i;
    }

    private static int gatherEvenBytes(long x) {
        long t = x & EVEN_BYTES;
        t = (t | t >>> 8) & EVEN_SHORTS;
        return (int) (t | t >>> 16);
    }

    private static long spreadToEvenBytes(int v) {
        long t = v & 0xFFFFFFFFL;
        t = (t | t << 16) & EVEN_SHORTS;
        return (t | t << 8) & EVEN_BYTES;
    }
}
