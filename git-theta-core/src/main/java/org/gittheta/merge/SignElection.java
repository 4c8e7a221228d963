package org.gittheta.merge;

import java.util.Arrays;
import org.gittheta.tensor.TensorView;

/**
 * TIES' sign election as mergekit computes it ({@code consensus_method: sum}), over sparsified task vectors s_j
 * with per-model weights w_j: per element γ = + where Σ_j w_j s_j ≥ 0, else −. Only entries whose weighted value
 * w_j s_j is non-zero with sign γ count: their weighted mean Σ w_j s_j / Σ w_j (TIES' disjoint mean; a weight sum of
 * 0 divides by 1, as mergekit does) or their sum Σ w_j s_j (mergekit's {@code normalize: false}, and dare_ties).
 * One pass, chunk by chunk.
 *
 * <p>The element loops decide without branches: which entries survive sparsification and agree with the elected sign
 * is data, about as likely one way as the other, and mispredicted branches took most of the pass. Where no total is
 * NaN (every chunk of finite weights), the election is arithmetic the JIT turns into vector instructions (signum,
 * max, multiply); a chunk with a NaN total takes the bit-mask loop, which elects − there as mergekit does.
 */
final class SignElection {
    private static final long MAGNITUDE = 0x7fffffffffffffffL;
    private static final long INFINITY = Double.doubleToRawLongBits(Double.POSITIVE_INFINITY);

    private SignElection() {}

    /**
     * Task vector j's values at elements {@code [from, from + count)}, after sparsification (and any per-model
     * scaling of its own), into {@code dst}, the base's values there being {@code base[0, count)}; chunks are asked
     * for in element order.
     */
    @FunctionalInterface
    interface Vectors {
        void fill(int j, long from, int count, double[] base, double[] dst);
    }

    /** The election over elements in order, on this thread: for task vectors whose chunks must come in order. */
    static void merge(TensorView base, int m, long n, Vectors s, double[] weight, boolean mean, TensorView out) {
        merge(base, m, 0, n, s, weight, mean, out);
    }

    /** The same on every core ({@link Chunks#inParallel}), for task vectors that any thread may ask for, any chunk. */
    static void mergeInParallel(
            TensorView base, int m, long n, Vectors s, double[] weight, boolean mean, TensorView out) {
        Chunks.inParallel(n, (from, to) -> merge(base, m, from, to, s, weight, mean, out));
    }

    private static void merge(
            TensorView base, int m, long start, long end, Vectors s, double[] weight, boolean mean, TensorView out) {
        double[][] rows = new double[m][Chunks.SIZE];
        double[] b = new double[Chunks.SIZE];
        double[] total = new double[Chunks.SIZE];
        double[] sum = new double[Chunks.SIZE];
        double[] divisor = new double[Chunks.SIZE];
        for (long from = start; from < end; from += Chunks.SIZE) {
            int count = (int) Math.min(Chunks.SIZE, end - from);
            Arrays.fill(total, 0, count, 0);
            Arrays.fill(sum, 0, count, 0);
            Arrays.fill(divisor, 0, count, 0);
            base.get(from, b, count);
            for (int j = 0; j < m; j++) {
                s.fill(j, from, count, b, rows[j]);
                weigh(rows[j], weight[j], count, total);
            }
            boolean nan = hasNaN(total, count);
            for (int j = 0; j < m; j++) {
                if (nan) electWithMasks(rows[j], weight[j], total, count, sum, divisor);
                else elect(rows[j], weight[j], total, count, sum, divisor);
            }
            finish(b, sum, divisor, mean, count);
            out.set(from, b, count);
        }
    }

    /** {@code row[i] = w · row[i]}, added to {@code total[i]}. */
    private static void weigh(double[] row, double w, int count, double[] total) {
        for (int i = 0; i < count; i++) total[i] += row[i] = w * row[i];
    }

    private static boolean hasNaN(double[] v, int count) {
        for (int i = 0; i < count; i++) if (Double.isNaN(v[i])) return true;
        return false;
    }

    /**
     * Adds {@code row}'s non-zero entries of the sign of {@code total} to {@code sum}, and w to {@code divisor}, where
     * no total is NaN: the elected sign s is ±1 (+1 for a total of 0), s · row is positive exactly where the entry
     * agrees, and multiplying by s is exact.
     */
    private static void elect(double[] row, double w, double[] total, int count, double[] sum, double[] divisor) {
        for (int i = 0; i < count; i++) {
            double s = Math.signum(total[i]);
            s += 1 - Math.abs(s);
            double agreeing = Math.max(row[i] * s, 0);
            sum[i] += agreeing * s;
            divisor[i] += w * Math.signum(agreeing);
        }
    }

    /** {@link #elect} for any totals: a NaN total elects −, as mergekit's {@code total >= 0} does. */
    private static void electWithMasks(
            double[] row, double w, double[] total, int count, double[] sum, double[] divisor) {
        long weightBits = Double.doubleToRawLongBits(w);
        for (int i = 0; i < count; i++) {
            long v = Double.doubleToRawLongBits(row[i]);
            long t = Double.doubleToRawLongBits(total[i]);
            // all-ones masks of v != 0, v > 0 and total >= 0 (NaN compares false), as the sign bits of differences
            long nonZero = -(v & MAGNITUDE) >> 63;
            long positive = ~(v >> 63) & nonZero & notNaN(v);
            long nonNegative = ~(t >> 63) & notNaN(t) | ~(-(t & MAGNITUDE) >> 63);
            long agrees = nonZero & ~(positive ^ nonNegative);
            // adding +0 leaves the sum as it is: a sum of non-zero values starting at +0 is never -0
            sum[i] += Double.longBitsToDouble(v & agrees);
            divisor[i] += Double.longBitsToDouble(weightBits & agrees);
        }
    }

    /** All ones unless the double with bits {@code v} is NaN. */
    private static long notNaN(long v) {
        return ((v & MAGNITUDE) - INFINITY - 1) >> 63;
    }

    /**
     * {@code b[i] += sum[i] / divisor[i]} for the mean where the divisor is not 0, else {@code b[i] += sum[i]}: a
     * divisor of ±0 becomes 1 (divisors are sums of finite weights, never NaN).
     */
    private static void finish(double[] b, double[] sum, double[] divisor, boolean mean, int count) {
        if (!mean) {
            for (int i = 0; i < count; i++) b[i] += sum[i];
            return;
        }
        for (int i = 0; i < count; i++) b[i] += sum[i] / (divisor[i] + (1 - Math.signum(Math.abs(divisor[i]))));
    }

    /** Weights of 1 for m models: the unweighted election. */
    static double[] ones(int m) {
        double[] w = new double[m];
        Arrays.fill(w, 1);
        return w;
    }
}
