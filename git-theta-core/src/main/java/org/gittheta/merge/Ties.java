package org.gittheta.merge;

import java.util.Arrays;
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
        boolean[] none = new boolean[m];
        int[] ranked = new int[m]; // the models that keep some entries, their thresholds found in the same passes
        long[] k = new long[m];
        int sets = 0;
        for (int j = 0; j < m; j++) {
            k[sets] = (long) Math.floor(in.of(density, j) * n);
            none[j] = k[sets] == 0;
            if (!none[j]) ranked[sets++] = j;
        }
        float[] threshold = new float[m];
        if (sets > 0) {
            int[] models = Arrays.copyOf(ranked, sets);
            float[] kth = TopK.kthLargest(n, Arrays.copyOf(k, sets), () -> {
                double[] b = new double[Chunks.SIZE];
                double[] tau = new double[Chunks.SIZE];
                return (from, count, dst) -> {
                    base.get(from, b, count);
                    for (int s = 0; s < models.length; s++) {
                        int j = models[s];
                        Chunks.taskVector(in.values(j), b, lambdas[j], from, count, tau);
                        for (int i = 0; i < count; i++) dst[s][i] = magnitude(tau[i]);
                    }
                };
            });
            for (int s = 0; s < sets; s++) threshold[models[s]] = kth[s];
        }
        SignElection.Vectors trimmed = (j, from, count, baseChunk, dst) -> {
            if (none[j]) {
                Arrays.fill(dst, 0, count, 0);
                return;
            }
            Chunks.taskVector(in.values(j), baseChunk, lambdas[j], from, count, dst);
            trim(dst, threshold[j], count);
        };
        SignElection.mergeInParallel(base, m, n, trimmed, TaskArithmetic.lambdas(in, weight), normalize, out);
        return "";
    }

    /**
     * Zeroes the entries whose magnitude is not at least {@code threshold} (NaN is not), multiplying each by the sign
     * of its magnitude's excess over the float just below the threshold (1 or 0; exact for floats): arithmetic that
     * the JIT vectorises, where a branch on which entries survive, about a {@code density} fraction, is mispredicted
     * all along.
     */
    private static void trim(double[] tau, float threshold, int count) {
        if (Float.isNaN(threshold)) { // NaN magnitudes rank highest, but none is kept
            Arrays.fill(tau, 0, count, 0);
            return;
        }
        float below = Math.nextDown(threshold);
        for (int i = 0; i < count; i++) tau[i] *= Math.signum(Math.max(magnitude(tau[i]) - below, 0));
        for (int i = 0; i < count; i++) if (Double.isNaN(tau[i])) tau[i] = 0; // NaN entries, from non-finite values
    }

    static float magnitude(double t) {
        return (float) Math.abs(t);
    }
}
