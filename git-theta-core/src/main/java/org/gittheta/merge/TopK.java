package org.gittheta.merge;

import java.util.function.Supplier;

/**
 * The k-th largest of n non-negative floats without sorting or copying them: two radix passes over the bit
 * patterns (for non-negative floats, bit order is value order), high 16 bits then low 16 bits. The floats are
 * produced a chunk at a time, so that the caller reads its tensors in bulk; several sets of n floats can be ranked
 * in the same passes, so that what their chunks share (TIES' base, under each model's task vector) is read once.
 */
final class TopK {
    private static final int BUCKETS = 1 << 16;
    private static final int OTHERS = 8;

    private TopK() {}

    /** Fills {@code dst[0, count)} with the magnitudes of elements {@code [from, from + count)}. */
    @FunctionalInterface
    interface Magnitudes {
        void fill(long from, float[] dst, int count);
    }

    /** Fills {@code dst[s][0, count)} with the magnitudes of elements {@code [from, from + count)} of each set s. */
    @FunctionalInterface
    interface Sets {
        void fill(long from, int count, float[][] dst);
    }

    /** @param k in [1, n] */
    static float kthLargest(long n, long k, Magnitudes m) {
        Sets one = (from, count, dst) -> m.fill(from, dst[0], count);
        return kthLargest(n, new long[] {k}, () -> one, false)[0];
    }

    /**
     * The k[s]-th largest of each set s (each k[s] in [1, n]), the elements counted on every core: each range of
     * elements gets its own {@link Sets} from {@code sets}.
     */
    static float[] kthLargest(long n, long[] k, Supplier<Sets> sets) {
        return kthLargest(n, k, sets, true);
    }

    private static float[] kthLargest(long n, long[] k, Supplier<Sets> m, boolean parallel) {
        for (long ks : k) {
            if (ks < 1 || ks > n) throw new IllegalArgumentException("k " + ks + " is not in [1, " + n + "]");
        }
        int sets = k.length;
        long[][] high =
                count(n, sets, BUCKETS, m, parallel, (s, chunk, count, counts) -> countHigh(chunk, count, counts));
        int[] h = new int[sets];
        long[] remaining = k.clone();
        for (int s = 0; s < sets; s++) h[s] = bucket(high[s], remaining, s);
        // the slots past the buckets count the other buckets' elements
        long[][] low = count(
                n,
                sets,
                BUCKETS + OTHERS,
                m,
                parallel,
                (s, chunk, count, counts) -> countLow(chunk, count, h[s], counts));
        float[] kth = new float[sets];
        for (int s = 0; s < sets; s++) kth[s] = Float.intBitsToFloat(h[s] << 16 | bucket(low[s], remaining, s));
        return kth;
    }

    /** Counts one set's chunk of magnitudes into its counts. */
    @FunctionalInterface
    private interface Counter {
        void count(int set, float[] chunk, int count, long[] counts);
    }

    /** One pass over the elements: each set's counts, each range counted apart and then added up. */
    private static long[][] count(
            long n, int sets, int buckets, Supplier<Sets> source, boolean parallel, Counter counter) {
        long[][] total = new long[sets][buckets];
        Chunks.Range range = (start, end) -> {
            Sets m = source.get();
            float[][] chunk = new float[sets][(int) Math.min(end - start, Chunks.SIZE)];
            long[][] counts = new long[sets][buckets];
            for (long from = start; from < end; from += Chunks.SIZE) {
                int count = (int) Math.min(Chunks.SIZE, end - from);
                m.fill(from, count, chunk);
                for (int s = 0; s < sets; s++) counter.count(s, chunk[s], count, counts[s]);
            }
            synchronized (total) {
                for (int s = 0; s < sets; s++) for (int b = 0; b < buckets; b++) total[s][b] += counts[s][b];
            }
        };
        if (parallel) Chunks.inParallel(n, range);
        else range.run(0, n);
        return total;
    }

    /** The highest bucket at which the counts from the top reach {@code remaining[s]}, less what lies above it. */
    private static int bucket(long[] counts, long[] remaining, int s) {
        int b = BUCKETS - 1;
        while (counts[b] < remaining[s]) remaining[s] -= counts[b--];
        return b;
    }

    private static void countHigh(float[] chunk, int count, long[] high) {
        for (int i = 0; i < count; i++) high[bits(chunk[i]) >>> 16]++;
    }

    /**
     * Counts the low 16 bits of the magnitudes whose high 16 bits are {@code h}, the others in the {@link #OTHERS}
     * slots past them: an index chosen with a mask, not a branch, since whether an element is in the k-th's bucket is
     * data. The others take turns among their slots: increments of one slot would wait for each other.
     */
    private static void countLow(float[] chunk, int count, int h, long[] low) {
        for (int i = 0; i < count; i++) {
            int b = bits(chunk[i]);
            int other = -((b >>> 16) ^ h) >> 31; // all ones when the high bits differ from h
            int slot = b & 0xffff;
            low[slot ^ ((slot ^ (BUCKETS | i & OTHERS - 1)) & other)]++;
        }
    }

    /** NaN magnitudes count as the largest values, as they sort above infinity. */
    private static int bits(float f) {
        return Float.floatToRawIntBits(f) & 0x7fffffff;
    }
}
