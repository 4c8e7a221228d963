package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * TIES' sign election over sparsified, weighted task vectors s_j: per element γ = sign(Σ_j s_j), where that sum is
 * 0 the sign of the whole tensor's mass Σ_i Σ_j s_j,i (then +). Only entries that are non-zero and agree with γ
 * count: their mean (TIES' disjoint mean) or their sum (mergekit's dare_ties, which does not normalise).
 */
final class SignElection {
    private SignElection() {}

    /** Task vector j's value at element i, after sparsification and weighting. */
    @FunctionalInterface
    interface Vectors {
        double at(int j, long i);
    }

    static void merge(TensorView base, int m, long n, Vectors s, boolean mean, TensorView out) {
        double mass = 0;
        for (long i = 0; i < n; i++) for (int j = 0; j < m; j++) mass += s.at(j, i);
        double majority = mass < 0 ? -1 : 1;
        double[] row = new double[m];
        for (long i = 0; i < n; i++) {
            double total = 0;
            for (int j = 0; j < m; j++) total += row[j] = s.at(j, i);
            double sign = Math.signum(total);
            if (sign == 0) sign = majority;
            double sum = 0;
            int count = 0;
            for (double v : row) {
                if (v != 0 && Math.signum(v) == sign) {
                    sum += v;
                    count++;
                }
            }
            out.set(i, base.get(i) + (count == 0 ? 0 : mean ? sum / count : sum));
        }
    }
}
