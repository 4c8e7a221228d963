package org.gittheta.merge;

/**
 * The k-th largest of n non-negative floats without sorting or copying them: two radix passes over the bit
 * patterns (for non-negative floats, bit order is value order), high 16 bits then low 16 bits. The floats are
 * produced a chunk at a time, so that the caller reads its tensors in bulk.
 */
final class TopK {
    private TopK() {}

    /** Fills {@code dst[0, count)} with the magnitudes of elements {@code [from, from + count)}. */
    @FunctionalInterface
    interface Magnitudes {
        void fill(long from, float[] dst, int count);
    }

    /** @param k in [1, n] */
    static float kthLargest(long n, long k, Magnitudes m) {
        if (k < 1 || k > n) throw new IllegalArgumentException("k " + k + " is not in [1, " + n + "]");
        float[] chunk = new float[(int) Math.min(n, Chunks.SIZE)];
        long[] high = new long[1 << 16];
        for (long from = 0; from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            m.fill(from, chunk, count);
            for (int i = 0; i < count; i++) high[bits(chunk[i]) >>> 16]++;
        }
        int h = 0xffff;
        long remaining = k;
        while (high[h] < remaining) remaining -= high[h--];
        long[] low = new long[1 << 16];
        for (long from = 0; from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            m.fill(from, chunk, count);
            for (int i = 0; i < count; i++) {
                int b = bits(chunk[i]);
                if (b >>> 16 == h) low[b & 0xffff]++;
            }
        }
        int l = 0xffff;
        while (low[l] < remaining) remaining -= low[l--];
        return Float.intBitsToFloat(h << 16 | l);
    }

    /** NaN magnitudes count as the largest values, as they sort above infinity. */
    private static int bits(float f) {
        return Float.floatToRawIntBits(f) & 0x7fffffff;
    }
}
