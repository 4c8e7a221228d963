package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * Fisher-weighted averaging (Matena and Raffel 2022): θ = Σ λ_j F_j θ_j / Σ λ_j F_j, elementwise, with each diagonal
 * Fisher value raised to at least {@code floor} so that elements no model cares about get the λ-weighted mean. A
 * parameter without a Fisher for some model, or whose Fisher is all zero there, falls back to {@link Average}.
 */
public record FisherMerge(PerModel lambda, double floor) implements MergeStrategy.Arithmetic {
    public FisherMerge {
        boolean positive = false;
        for (double l : lambda.values()) {
            if (l < 0)
                throw new IllegalArgumentException(
                        "fisher: lambda " + lambda.text() + " must be non-negative, not all zero");
            positive |= l > 0;
        }
        if (!positive)
            throw new IllegalArgumentException(
                    "fisher: lambda " + lambda.text() + " must be non-negative, not all zero");
        if (!(floor > 0)) throw new IllegalArgumentException("fisher: fisherFloor " + floor + " must be positive");
    }

    @Override
    public String describe() {
        return "fisher(lambda=" + lambda.text() + ", floor=" + floor + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        int m = in.models().size();
        StringBuilder missing = new StringBuilder();
        for (int j = 0; j < m; j++) missing.append(unusable(in.models().get(j), in.modelCount()));
        if (!missing.isEmpty()) {
            new Average().merge(in, out);
            return "fell back to average:" + missing;
        }
        double[] l = TaskArithmetic.lambdas(in, lambda);
        double[][] x = new double[m][Chunks.SIZE];
        double[][] f = new double[m][Chunks.SIZE];
        double[] result = new double[Chunks.SIZE];
        Chunks.forEach(in.size(), (from, count) -> {
            for (int j = 0; j < m; j++) {
                in.values(j).get(from, x[j], count);
                in.models().get(j).fisher().orElseThrow().get(from, f[j], count);
            }
            for (int i = 0; i < count; i++) {
                double num = 0;
                double den = 0;
                for (int j = 0; j < m; j++) {
                    double w = l[j] * Math.max(f[j][i], floor);
                    num += w * x[j][i];
                    den += w;
                }
                result[i] = num / den;
            }
            out.set(from, result, count);
        });
        return "";
    }

    private static String unusable(MergeInput.Model model, int models) {
        String label = model.index() == 0 ? "ours" : models == 2 ? "theirs" : "model " + model.index();
        if (model.fisher().isEmpty()) return " no Fisher for " + label;
        TensorView f = model.fisher().get();
        for (long i = 0, n = f.count(); i < n; i++) if (f.get(i) != 0) return "";
        return " Fisher of " + label + " is all zero";
    }
}
