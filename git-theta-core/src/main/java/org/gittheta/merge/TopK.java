package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The k-th largest of n non-negative floats without sorting or copying them: radix counts over the bit patterns (for
 * non-negative floats, bit order is value order), high 16 bits then low 16 bits. The floats are produced a chunk at a
 * time, so that the caller reads its tensors in bulk; several sets of n floats can be ranked in the same passes, so
 * that what their chunks share (TIES' base, under each model's task vector) is read once. Producing the floats is
 * the cost (a task vector's values decoded and subtracted), so a large set is first sampled, one chunk in
 * {@link #SAMPLE_STRIDE}, to place its k-th in a window of a few high buckets: the first pass then counts only what
 * lies above the window and the bit patterns within it, one pass instead of two. Where the sample misled (the k-th
 * lay outside its window), two more.
 */
final class TopK {
    private static final int BUCKETS = 1 << 16;
    /** {@link #countLow} counts the elements outside the k-th's bucket in this many slots, in turn. */
    private static final int OTHERS = 8;
    /** The first pass is preceded by a look at every SAMPLE_STRIDE-th chunk, to place each k-th in a window. */
    private static final int SAMPLE_STRIDE = 16;
    /** Below this many elements, two plain passes: the sample would be too small to place the k-th well. */
    private static final long SAMPLED = 32L * SAMPLE_STRIDE * Chunks.SIZE;
    /** A window spans this many standard deviations of the k-th's rank in the sample either side. */
    private static final double SPREAD = 8;
    /** At most this many buckets of high bits in a window: each counts its low bits in 256 KiB per range. */
    private static final int WINDOW = 8;

    private static final int INFINITY_BUCKET = Float.floatToRawIntBits(Float.POSITIVE_INFINITY) >>> 16;

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
        Passes passes = new Passes(n, sets, m, parallel);
        int[][] window = n >= SAMPLED ? window(n, k, m) : new int[sets][2];
        float[] kth = new float[sets];
        long[] remaining = k.clone();
        int[] high = new int[sets];
        boolean[] missed = new boolean[sets]; // a window that did not hold the k-th
        boolean[] lowUnknown = new boolean[sets];
        List<Tally[]> first =
                passes.count(s -> new Tally(window[s][1] > 0 ? 1 : BUCKETS, window[s][1]), (s, chunk, count, t) -> {
                    if (window[s][1] > 0) countWindow(chunk, count, window[s], t);
                    else countHigh(chunk, count, t.counts);
                });
        for (int s = 0; s < sets; s++) {
            if (window[s][1] == 0) {
                high[s] = bucket(total(first, s, BUCKETS), remaining, s);
                lowUnknown[s] = true;
                continue;
            }
            long[] within = inWindow(first, s, window[s][1] << 16);
            remaining[s] -= total(first, s, 1)[0]; // what lies above the window
            int b = within.length - 1;
            while (remaining[s] > 0 && b >= 0 && within[b] < remaining[s]) remaining[s] -= within[b--];
            missed[s] = remaining[s] <= 0 || b < 0;
            lowUnknown[s] = missed[s];
            if (missed[s]) remaining[s] = k[s];
            else kth[s] = Float.intBitsToFloat(window[s][0] << 16 | b);
        }
        if (any(missed)) {
            List<Tally[]> highs = passes.count(s -> new Tally(missed[s] ? BUCKETS : 0, 0), (s, chunk, count, t) -> {
                if (missed[s]) countHigh(chunk, count, t.counts);
            });
            for (int s = 0; s < sets; s++) if (missed[s]) high[s] = bucket(total(highs, s, BUCKETS), remaining, s);
        }
        if (any(lowUnknown)) {
            List<Tally[]> lows =
                    passes.count(s -> new Tally(lowUnknown[s] ? BUCKETS + OTHERS : 0, 0), (s, chunk, count, t) -> {
                        if (lowUnknown[s]) countLow(chunk, count, high[s], t.counts);
                    });
            for (int s = 0; s < sets; s++) {
                if (lowUnknown[s])
                    kth[s] = Float.intBitsToFloat(high[s] << 16 | bucket(total(lows, s, BUCKETS), remaining, s));
            }
        }
        return kth;
    }

    private static boolean any(boolean[] b) {
        for (boolean x : b) if (x) return true;
        return false;
    }

    /**
     * Per set, the high buckets {from, count} that its k-th most likely lies in, from the magnitudes of every
     * {@link #SAMPLE_STRIDE}-th chunk: those holding the sample's ranks within {@link #SPREAD} standard deviations (and
     * a chunk, as the sample is of whole chunks) of where the k-th's rank falls in the sample. No window (count 0)
     * where that spans more than {@link #WINDOW} buckets, or reaches infinity's bucket: the window's bounds are floats
     * compared with, not NaN.
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
            for (int s = 0; s < sets; s++) countHigh(chunk[s], count, high[s]);
            sampled += count;
        }
        int[][] window = new int[sets][];
        for (int s = 0; s < sets; s++) {
            double rank = (double) k[s] * sampled / n;
            double spread = SPREAD * Math.sqrt(rank * (1 - rank / sampled)) + Chunks.SIZE;
            int top = bucket(high[s], new long[] {(long) Math.max(1, rank - spread)}, 0);
            int bottom = bucket(high[s], new long[] {(long) Math.min(sampled, Math.ceil(rank + spread))}, 0);
            boolean narrow = top - bottom < WINDOW && top < INFINITY_BUCKET;
            window[s] = narrow ? new int[] {bottom, top - bottom + 1} : new int[2];
        }
        return window;
    }

    /** Counts one set's chunk of magnitudes into its tally. */
    @FunctionalInterface
    private interface Counter {
        void count(int set, float[] chunk, int count, Tally tally);
    }

    /**
     * One set's counts over one range of elements and, for a window of {@code width} high buckets, the counts of the
     * bit patterns within it, and per chunk, which elements are within.
     */
    private static final class Tally {
        final long[] counts;
        final int[] inWindow;
        final int[] within;
        final int[] at;

        Tally(int buckets, int width) {
            counts = new long[buckets];
            inWindow = new int[width << 16];
            within = new int[width > 0 ? Chunks.SIZE : 0];
            at = new int[width > 0 ? Chunks.SIZE : 0];
        }
    }

    /** Passes over the n elements of the sets, each range of elements counted apart, in tallies of its own. */
    private record Passes(long n, int sets, Supplier<Sets> source, boolean parallel) {
        List<Tally[]> count(IntFunction<Tally> tally, Counter counter) {
            List<Tally[]> tallies = new ArrayList<>();
            Chunks.Range range = (start, end) -> {
                Sets m = source.get();
                float[][] chunk = new float[sets][(int) Math.min(end - start, Chunks.SIZE)];
                Tally[] t = new Tally[sets];
                for (int s = 0; s < sets; s++) t[s] = tally.apply(s);
                for (long from = start; from < end; from += Chunks.SIZE) {
                    int count = (int) Math.min(Chunks.SIZE, end - from);
                    m.fill(from, count, chunk);
                    for (int s = 0; s < sets; s++) counter.count(s, chunk[s], count, t[s]);
                }
                synchronized (tallies) {
                    tallies.add(t);
                }
            };
            if (parallel) Chunks.inParallel(n, range);
            else range.run(0, n);
            return tallies;
        }
    }

    /** Set s's first {@code buckets} counts, added up over the ranges. */
    private static long[] total(List<Tally[]> tallies, int s, int buckets) {
        long[] total = new long[buckets];
        for (Tally[] t : tallies) for (int b = 0; b < buckets; b++) total[b] += t[s].counts[b];
        return total;
    }

    /** Counts of the bit patterns in set s's window (its {@code span} first), added up over the ranges. */
    private static long[] inWindow(List<Tally[]> tallies, int s, int span) {
        long[] low = new long[span];
        for (Tally[] t : tallies) for (int b = 0; b < span; b++) low[b] += t[s].inWindow[b];
        return low;
    }

    /** The highest bucket at which the counts from the top reach {@code remaining[s]}, less what lies above it. */
    private static int bucket(long[] counts, long[] remaining, int s) {
        int b = BUCKETS - 1;
        while (counts[b] < remaining[s]) remaining[s] -= counts[b--];
        return b;
    }

    /** Counts the high 16 bits. */
    private static void countHigh(float[] chunk, int count, long[] high) {
        for (int i = 0; i < count; i++) high[bits(chunk[i]) >>> 16]++;
    }

    /**
     * Counts the magnitudes above the window {@code {from, width}} of high buckets into {@code counts[0]}, and the bit
     * patterns within it, each in its slot of {@code inWindow}: no count of the buckets outside, which is what the
     * sample spares. Whether a magnitude lies above or within is float arithmetic that the JIT vectorises (a float's
     * bits are a move C2 does not vectorise), NaN counting as above. The elements within are then gathered and their
     * bit patterns counted, without a branch on which they are: bf16 task vectors take few values, so that the k-th's
     * bucket can hold a tenth of the elements, each in it or not by chance.
     */
    private static void countWindow(float[] chunk, int count, int[] window, Tally t) {
        int low = window[0] << 16;
        float first = Float.intBitsToFloat(low);
        float beyond = Float.intBitsToFloat(low + (window[1] << 16));
        int[] within = t.within;
        long above = 0;
        for (int i = 0; i < count; i++) {
            int notBelow = atLeast(chunk[i], first);
            int beyondWindow = atLeast(chunk[i], beyond);
            above += beyondWindow;
            within[i] = notBelow - beyondWindow;
        }
        int[] at = t.at;
        int found = 0;
        for (int i = 0; i < count; i++) {
            at[found] = i;
            found += within[i];
        }
        int[] in = t.inWindow;
        for (int i = 0; i < found; i++) in[bits(chunk[at[i]]) - low]++;
        t.counts[0] += above;
    }

    /** 1 where {@code m >= bound} or m is NaN, else 0 (bound not NaN), as arithmetic. */
    private static int atLeast(float m, float bound) {
        return 1 - (int) Math.signum(Math.max(bound - m, 0f));
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
