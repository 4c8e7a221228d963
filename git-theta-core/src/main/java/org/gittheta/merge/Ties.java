package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * TIES-merging (Yadav et al. 2023) as mergekit computes it: each model's task vector s_j = λ_j (θ_j − θ_base) is
 * trimmed to its {@code density} fraction of largest magnitudes (ties at the k-th kept), then {@link SignElection}
 * over w_j s_j: θ = θ_base + the weighted mean Σ w_j s_j / Σ w_j of the trimmed entries agreeing with the elected sign
 * ({@code normalize}), or their sum Σ w_j s_j. With weights 1 the mean is the paper's disjoint mean.
 */
public record Ties(PerModel density, PerModel lambda, PerModel weight, boolean normalize)
        implements MergeStrategy.TaskVectors {
    /** The paper's TIES: weights 1, disjoint mean. */
    public Ties(PerModel density, PerModel lambda) {
        this(density, lambda, Average.EQUAL, true);
    }

    public Ties {
        for (double d : density.values()) {
            if (!(d >= 0 && d <= 1)) throw new IllegalArgumentException("ties: density " + d + " is not in [0, 1]");
        }
    }

    @Override
    public String describe() {
        return "ties(density=" + density.text() + ", lambda=" + lambda.text()
                + (weight.equals(Average.EQUAL) ? "" : ", weight=" + weight.text())
                + (normalize ? "" : ", normalize=false") + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        long n = in.size();
        int m = in.models().size();
        double[] lambdas = TaskArithmetic.lambdas(in, lambda);
        float[] threshold = new float[m];
        boolean[] none = new boolean[m];
        double[] baseBuffer = new double[Chunks.SIZE];
        double[] tau = new double[Chunks.SIZE];
        for (int j = 0; j < m; j++) {
            long k = (long) Math.floor(in.of(density, j) * n);
            none[j] = k == 0;
            TensorView side = in.values(j);
            double l = lambdas[j];
            threshold[j] = none[j]
                    ? Float.POSITIVE_INFINITY
                    : TopK.kthLargest(n, k, (from, dst, count) -> {
                        Chunks.taskVector(side, base, l, from, count, baseBuffer, tau);
                        for (int i = 0; i < count; i++) dst[i] = magnitude(tau[i]);
                    });
        }
        SignElection.Vectors trimmed = (j, from, count, dst) -> {
            if (none[j]) {
                java.util.Arrays.fill(dst, 0, count, 0);
                return;
            }
            Chunks.taskVector(in.values(j), base, lambdas[j], from, count, baseBuffer, dst);
            for (int i = 0; i < count; i++) if (!(magnitude(dst[i]) >= threshold[j])) dst[i] = 0;
        };
        SignElection.merge(base, m, n, trimmed, TaskArithmetic.lambdas(in, weight), normalize, out);
        return "";
    }

    static float magnitude(double t) {
        return (float) Math.abs(t);
    }
}
