package org.gittheta.merge;

import java.util.Arrays;
import org.gittheta.tensor.TensorView;

/**
 * TIES' sign election as mergekit computes it ({@code consensus_method: sum}), over sparsified task vectors s_j
 * with per-model weights w_j: per element γ = + where Σ_j w_j s_j ≥ 0, else −. Only entries whose weighted value
 * w_j s_j is non-zero with sign γ count: their weighted mean Σ w_j s_j / Σ w_j (TIES' disjoint mean; a weight sum of
 * 0 divides by 1, as mergekit does) or their sum Σ w_j s_j (mergekit's {@code normalize: false}, and dare_ties).
 */
final class SignElection {
    private SignElection() {}

    /** Task vector j's value at element i, after sparsification (and any per-model scaling of its own). */
    @FunctionalInterface
    interface Vectors {
        double at(int j, long i);
    }

    static void merge(TensorView base, int m, long n, Vectors s, double[] weight, boolean mean, TensorView out) {
        double[] row = new double[m];
        for (long i = 0; i < n; i++) {
            double total = 0;
            for (int j = 0; j < m; j++) total += row[j] = weight[j] * s.at(j, i);
            boolean positive = total >= 0;
            double sum = 0;
            double divisor = 0;
            for (int j = 0; j < m; j++) {
                double v = row[j];
                if (v != 0 && (v > 0) == positive) {
                    sum += v;
                    divisor += weight[j];
                }
            }
            out.set(i, base.get(i) + (mean && divisor != 0 ? sum / divisor : sum));
        }
    }

    /** Weights of 1 for m models: the unweighted election. */
    static double[] ones(int m) {
        double[] w = new double[m];
        Arrays.fill(w, 1);
        return w;
    }
}
