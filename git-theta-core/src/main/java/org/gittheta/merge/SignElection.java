package org.gittheta.merge;

import java.util.Arrays;
import org.gittheta.tensor.TensorView;

/**
 * TIES' sign election as mergekit computes it ({@code consensus_method: sum}), over sparsified task vectors s_j
 * with per-model weights w_j: per element γ = + where Σ_j w_j s_j ≥ 0, else −. Only entries whose weighted value
 * w_j s_j is non-zero with sign γ count: their weighted mean Σ w_j s_j / Σ w_j (TIES' disjoint mean; a weight sum of
 * 0 divides by 1, as mergekit does) or their sum Σ w_j s_j (mergekit's {@code normalize: false}, and dare_ties).
 * One pass, chunk by chunk.
 */
final class SignElection {
    private SignElection() {}

    /**
     * Task vector j's values at elements {@code [from, from + count)}, after sparsification (and any per-model
     * scaling of its own), into {@code dst}; chunks are asked for in element order.
     */
    @FunctionalInterface
    interface Vectors {
        void fill(int j, long from, int count, double[] dst);
    }

    static void merge(TensorView base, int m, long n, Vectors s, double[] weight, boolean mean, TensorView out) {
        double[][] rows = new double[m][Chunks.SIZE];
        double[] b = new double[Chunks.SIZE];
        double[] result = new double[Chunks.SIZE];
        Chunks.forEach(n, (from, count) -> {
            for (int j = 0; j < m; j++) s.fill(j, from, count, rows[j]);
            base.get(from, b, count);
            for (int i = 0; i < count; i++) {
                double total = 0;
                for (int j = 0; j < m; j++) total += rows[j][i] = weight[j] * rows[j][i];
                boolean positive = total >= 0;
                double sum = 0;
                double divisor = 0;
                for (int j = 0; j < m; j++) {
                    double v = rows[j][i];
                    if (v != 0 && (v > 0) == positive) {
                        sum += v;
                        divisor += weight[j];
                    }
                }
                result[i] = b[i] + (mean && divisor != 0 ? sum / divisor : sum);
            }
            out.set(from, result, count);
        });
    }

    /** Weights of 1 for m models: the unweighted election. */
    static double[] ones(int m) {
        double[] w = new double[m];
        Arrays.fill(w, 1);
        return w;
    }
}
