package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/** θ = θ_base + Σ λ_i (θ_i − θ_base). */
public record TaskArithmetic(PerModel lambda) implements MergeStrategy.TaskVectors {
    @Override
    public String describe() {
        return "task-arithmetic(lambda=" + lambda.text() + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        int m = in.models().size();
        double[] l = lambdas(in, lambda);
        double[][] x = new double[m][Chunks.SIZE];
        double[] b = new double[Chunks.SIZE];
        double[] result = new double[Chunks.SIZE];
        Chunks.forEach(in.size(), (from, count) -> {
            base.get(from, b, count);
            for (int j = 0; j < m; j++) in.values(j).get(from, x[j], count);
            for (int i = 0; i < count; i++) {
                double sum = b[i];
                for (int j = 0; j < m; j++) sum += l[j] * (x[j][i] - b[i]);
                result[i] = sum;
            }
            out.set(from, result, count);
        });
        return "";
    }

    /** The option's value for each model taking part. */
    static double[] lambdas(MergeInput in, PerModel option) {
        double[] l = new double[in.models().size()];
        for (int j = 0; j < l.length; j++) l[j] = in.of(option, j);
        return l;
    }

    /** A number as short as it reads: 1 rather than 1.0. */
    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
