package org.gittheta.merge;

import java.util.Arrays;
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
        Chunks.inParallel(in.size(), (start, end) -> {
            double[] x = new double[Chunks.SIZE];
            double[] f = new double[Chunks.SIZE];
            double[] num = new double[Chunks.SIZE];
            double[] den = new double[Chunks.SIZE];
            for (long from = start; from < end; from += Chunks.SIZE) {
                int count = (int) Math.min(Chunks.SIZE, end - from);
                Arrays.fill(num, 0, count, 0);
                Arrays.fill(den, 0, count, 0);
                for (int j = 0; j < m; j++) {
                    in.values(j).get(from, x, count);
                    in.models().get(j).fisher().orElseThrow().get(from, f, count);
                    accumulate(x, f, l[j], floor, count, num, den);
                }
                for (int i = 0; i < count; i++) num[i] /= den[i];
                out.set(from, num, count);
            }
        });
        return "";
    }

    /** Adds model j's share to each element's sums, a loop per model rather than per element so that it vectorizes. */
    private static void accumulate(
            double[] x, double[] f, double l, double floor, int count, double[] num, double[] den) {
        for (int i = 0; i < count; i++) {
            double w = l * Math.max(f[i], floor);
            num[i] += w * x[i];
            den[i] += w;
        }
    }

    private static String unusable(MergeInput.Model model, int models) {
        String label = model.index() == 0 ? "ours" : models == 2 ? "theirs" : "model " + model.index();
        if (model.fisher().isEmpty()) return " no Fisher for " + label;
        TensorView f = model.fisher().get();
        for (long i = 0, n = f.count(); i < n; i++) if (f.get(i) != 0) return "";
        return " Fisher of " + label + " is all zero";
    }
}
