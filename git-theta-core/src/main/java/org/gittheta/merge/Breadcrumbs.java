package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * Model Breadcrumbs (Davari and Belilovsky 2023) as mergekit's {@code breadcrumbs} computes it: from each model's
 * task vector τ_j, with n elements, drop the ⌊gamma · n⌋ largest magnitudes (outliers) and then the smallest, so that
 * ⌊density · n⌋ remain (fewer outliers are dropped when both do not fit); θ = θ_base + Σ λ_j τ̂_j, no rescaling, no
 * sign election. Magnitudes tied with a cut are treated alike (kept at the lower cut, dropped at the upper one).
 * mergekit selects by sorted index, and its slice keeps nothing when ⌊gamma · n⌋ is 0; here no outlier is dropped then.
 */
public record Breadcrumbs(PerModel density, double gamma, PerModel lambda) implements MergeStrategy.TaskVectors {
    public Breadcrumbs {
        for (double d : density.values()) {
            if (!(d >= 0 && d <= 1))
                throw new IllegalArgumentException("breadcrumbs: density " + d + " is not in [0, 1]");
        }
        if (!(gamma >= 0 && gamma <= 1))
            throw new IllegalArgumentException("breadcrumbs: gamma " + gamma + " is not in [0, 1]");
    }

    @Override
    public String describe() {
        return "breadcrumbs(density=" + density.text() + ", gamma=" + gamma + ", lambda=" + lambda.text() + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        long n = in.size();
        int m = in.models().size();
        float[] low = new float[m];
        float[] high = new float[m];
        boolean[] all = new boolean[m];
        double[] baseBuffer = new double[Chunks.SIZE];
        double[] delta = new double[Chunks.SIZE];
        for (int j = 0; j < m; j++) {
            TensorView side = in.values(j);
            double d = in.of(density, j);
            all[j] = d >= 1;
            long keep = (long) Math.floor(d * n);
            long top = Math.min((long) Math.floor(gamma * n), n - keep);
            TopK.Magnitudes mag = (from, dst, count) -> {
                base.get(from, baseBuffer, count);
                Chunks.taskVector(side, baseBuffer, 1, from, count, delta);
                for (int i = 0; i < count; i++) dst[i] = Ties.magnitude(delta[i]);
            };
            low[j] = keep == 0 ? Float.POSITIVE_INFINITY : TopK.kthLargest(n, top + keep, mag);
            high[j] = top == 0 ? Float.POSITIVE_INFINITY : TopK.kthLargest(n, top, mag);
        }
        double[] l = TaskArithmetic.lambdas(in, lambda);
        for (long i = 0; i < n; i++) {
            double b = base.get(i);
            double sum = b;
            for (int j = 0; j < m; j++) {
                double tau = in.values(j).get(i) - b;
                float mag = Ties.magnitude(tau);
                if (all[j] || mag >= low[j] && (high[j] == Float.POSITIVE_INFINITY || mag < high[j])) sum += l[j] * tau;
            }
            out.set(i, sum);
        }
        return "";
    }
}
