package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * Model Stock (Jang et al. 2024) as mergekit's {@code model_stock} computes it, the tensor taken as one vector:
 * with cos the mean over pairs of fine-tunes of the cosine between their task vectors (norm product at least 1e-6,
 * clamped to [−1, 1]) and N fine-tunes, t = N cos / (1 + (N − 1) cos); θ = t · mean_j θ_j + (1 − t) · θ_base.
 */
public record ModelStock() implements MergeStrategy.TaskVectors {
    @Override
    public String describe() {
        return "model-stock";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        int m = in.models().size();
        long n = in.size();
        double[][] dot = new double[m][m];
        for (long i = 0; i < n; i++) {
            double b = base.get(i);
            for (int j = 0; j < m; j++) {
                double tj = in.values(j).get(i) - b;
                for (int k = j; k < m; k++) dot[j][k] += tj * (in.values(k).get(i) - b);
            }
        }
        double cos = 0;
        for (int j = 0; j < m; j++) {
            for (int k = j + 1; k < m; k++) {
                double c = dot[j][k] / Math.max(Math.sqrt(dot[j][j]) * Math.sqrt(dot[k][k]), 1e-6);
                cos += Math.max(-1, Math.min(1, c));
            }
        }
        cos /= m * (m - 1) / 2.0;
        double t = m * cos / (1 + (m - 1) * cos);
        for (long i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < m; j++) sum += in.values(j).get(i);
            out.set(i, t * (sum / m) + (1 - t) * base.get(i));
        }
        return "t=" + (float) t;
    }
}
