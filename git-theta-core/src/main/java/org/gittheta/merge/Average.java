package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/** A weighted model soup: θ = Σ w_i θ_i / Σ w_i (weights default to 1: the plain mean). */
public record Average(PerModel weights) implements MergeStrategy.Arithmetic {
    public static final PerModel EQUAL = PerModel.of(1);

    public Average() {
        this(EQUAL);
    }

    @Override
    public String describe() {
        return weights.equals(EQUAL) ? "average" : "average(weight=" + weights.text() + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        int m = in.models().size();
        double[] w = new double[m];
        double total = 0;
        for (int j = 0; j < m; j++) total += w[j] = in.of(weights, j);
        if (total == 0) throw new IllegalArgumentException("the weights of the models taking part sum to 0");
        double[][] x = new double[m][Chunks.SIZE];
        double[] result = new double[Chunks.SIZE];
        double sumOfWeights = total;
        Chunks.forEach(in.size(), (from, count) -> {
            for (int j = 0; j < m; j++) in.values(j).get(from, x[j], count);
            for (int i = 0; i < count; i++) {
                double sum = 0;
                for (int j = 0; j < m; j++) sum += w[j] * x[j][i];
                result[i] = sum / sumOfWeights;
            }
            out.set(from, result, count);
        });
        return "";
    }
}
