package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The k-th largest of n non-negative floats without sorting or copying them: radix counts over the bit patterns (for
 * non-negative floats, bit order is value order), high 16 bits then low 16 bits. The floats are produced a chunk at a
 * time, so that the caller reads its tensors in bulk; several sets of n floats can be ranked in the same passes, so
 * that what their chunks share (TIES' base, under each model's task vector) is read once. Producing the floats is
 * the cost (a task vector's values decoded and subtracted), so a large set is first sampled, one chunk in
 * {@link #SAMPLE_STRIDE}, to place its k-th in a window of a few high buckets whose low bits the first pass counts
 * too: one pass instead of two, and a second only where the sample misled.
 */
final class TopK {
    private static final int BUCKETS = 1 << 16;
    private static final int OTHERS = 8;
    /** The first pass is preceded by a look at every SAMPLE_STRIDE-th chunk, to place each k-th in a window. */
    private static final int SAMPLE_STRIDE = 16;
    /** Below this many elements, two plain passes: the sample would be too small to place the k-th well. */
    private static final long SAMPLED = 32L * SAMPLE_STRIDE * Chunks.SIZE;
    /** A window spans this many standard deviations of the k-th's rank in the sample either side. */
    private static final double SPREAD = 8;
    /** At most this many buckets of high bits in a window: each counts its low bits in 256 KiB per range. */
    private static final int WINDOW = 8;

    private static final int[] NO_WINDOW = {};

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
        int[][] window = n >= SAMPLED ? window(n, k, m) : new int[sets][2];
        List<Tally> first = count(n, sets, BUCKETS, window, m, parallel, (s, chunk, count, t) -> {
            int[] w = window[s];
            countHigh(chunk, count, t.counts[s], w[0], w[1], t.inWindow[s]);
        });
        int[] h = new int[sets];
        long[] remaining = k.clone();
        float[] kth = new float[sets];
        boolean[] missed = new boolean[sets];
        boolean again = false;
        for (int s = 0; s < sets; s++) {
            h[s] = bucket(total(first, s, BUCKETS), remaining, s); // the k-th's bucket of high bits
            missed[s] = Integer.compareUnsigned(h[s] - window[s][0], window[s][1]) >= 0;
            again |= missed[s];
            if (!missed[s])
                kth[s] = Float.intBitsToFloat(
                        h[s] << 16 | bucket(lowInWindow(first, s, h[s] - window[s][0]), remaining, s));
        }
        if (again) {
            // a k-th lay outside its window, or the window held too many: count its bucket in a second pass
            List<Tally> second =
                    count(n, sets, BUCKETS + OTHERS, new int[sets][2], m, parallel, (s, chunk, count, t) -> {
                        if (missed[s]) countLow(chunk, count, h[s], t.counts[s]);
                    });
            for (int s = 0; s < sets; s++) {
                if (missed[s])
                    kth[s] = Float.intBitsToFloat(h[s] << 16 | bucket(total(second, s, BUCKETS), remaining, s));
            }
        }
        return kth;
    }

    /**
     * Per set, the high buckets {from, count} that its k-th most likely lies in, from the magnitudes of every
     * {@link #SAMPLE_STRIDE}-th chunk: those holding the sample's ranks within {@link #SPREAD} standard deviations (and
     * a chunk, as the sample is of whole chunks) of where the k-th's rank falls in the sample. No window (count 0)
     * where that spans more than {@link #WINDOW} buckets.
     */
    private static int[][] window(long n, long[] k, Supplier<Sets> m) {
        int sets = k.length;
        Sets fill = m.get();
        float[][] chunk = new float[sets][Chunks.SIZE];
        long[][] high = new long[sets][BUCKETS];
        long sampled = 0;
        for (long from = 0; from < n; from += (long) SAMPLE_STRIDE * Chunks.SIZE) {
            int count = (int) Math.min(Chunks.SIZE, n - from);
            fill.fill(from, count, chunk);
            for (int s = 0; s < sets; s++) countHigh(chunk[s], count, high[s], 0, 0, NO_WINDOW);
            sampled += count;
        }
        int[][] window = new int[sets][];
        for (int s = 0; s < sets; s++) {
            double rank = (double) k[s] * sampled / n;
            double spread = SPREAD * Math.sqrt(rank * (1 - rank / sampled)) + Chunks.SIZE;
            int top = bucket(high[s], new long[] {(long) Math.max(1, rank - spread)}, 0);
            int bottom = bucket(high[s], new long[] {(long) Math.min(sampled, Math.ceil(rank + spread))}, 0);
            window[s] = top - bottom < WINDOW ? new int[] {bottom, top - bottom + 1} : new int[2];
        }
        return window;
    }

    /** Counts one set's chunk of magnitudes into its tally. */
    @FunctionalInterface
    private interface Counter {
        void count(int set, float[] chunk, int count, Tally tally);
    }

    /** One range's counts per set, and per set, the counts of the low 16 bits in each bucket of its window. */
    private static final class Tally {
        final long[][] counts;
        final int[][] inWindow;

        Tally(int sets, int buckets, int[][] window) {
            counts = new long[sets][buckets];
            inWindow = new int[sets][];
            for (int s = 0; s < sets; s++) inWindow[s] = new int[window[s][1] << 16];
        }
    }

    /** One pass over the elements: each range of elements counted apart, in a tally of its own. */
    private static List<Tally> count(
            long n, int sets, int buckets, int[][] window, Supplier<Sets> source, boolean parallel, Counter counter) {
        List<Tally> tallies = new ArrayList<>();
        Chunks.Range range = (start, end) -> {
            Sets m = source.get();
            float[][] chunk = new float[sets][(int) Math.min(end - start, Chunks.SIZE)];
            Tally t = new Tally(sets, buckets, window);
            for (long from = start; from < end; from += Chunks.SIZE) {
                int count = (int) Math.min(Chunks.SIZE, end - from);
                m.fill(from, count, chunk);
                for (int s = 0; s < sets; s++) counter.count(s, chunk[s], count, t);
            }
            synchronized (tallies) {
                tallies.add(t);
            }
        };
        if (parallel) Chunks.inParallel(n, range);
        else range.run(0, n);
        return tallies;
    }

    /** Set s's counts, added up over the ranges. */
    private static long[] total(List<Tally> tallies, int s, int buckets) {
        long[] total = new long[buckets];
        for (Tally t : tallies) for (int b = 0; b < buckets; b++) total[b] += t.counts[s][b];
        return total;
    }

    /** Counts of the low 16 bits of set s's magnitudes in bucket {@code at} of its window, added up over the ranges. */
    private static long[] lowInWindow(List<Tally> tallies, int s, int at) {
        long[] low = new long[BUCKETS];
        for (Tally t : tallies) for (int b = 0; b < BUCKETS; b++) low[b] += t.inWindow[s][at << 16 | b];
        return low;
    }

    /** The highest bucket at which the counts from the top reach {@code remaining[s]}, less what lies above it. */
    private static int bucket(long[] counts, long[] remaining, int s) {
        int b = BUCKETS - 1;
        while (counts[b] < remaining[s]) remaining[s] -= counts[b--];
        return b;
    }

    /**
     * Counts the high 16 bits, and the low 16 bits of the magnitudes in the {@code width} buckets from {@code from}
     * (none for a width of 0): a branch, as few elements are in the window (all of them at most when it is one bucket
     * of many equal values).
     */
    private static void countHigh(float[] chunk, int count, long[] high, int from, int width, int[] inWindow) {
        for (int i = 0; i < count; i++) {
            int b = bits(chunk[i]);
            high[b >>> 16]++;
            if (Integer.compareUnsigned((b >>> 16) - from, width) < 0) inWindow[b - (from << 16)]++;
        }
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
