package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/** θ = θ_base + λ_ours (θ_ours − θ_base) + λ_theirs (θ_theirs − θ_base). */
public record TaskArithmetic(double lambdaOurs, double lambdaTheirs) implements MergeStrategy.Arithmetic {
    @Override public String describe() { return "task-arithmetic(lambda=" + num(lambdaOurs) + "," + num(lambdaTheirs) + ")"; }

    @Override public boolean needsBase() { return true; }

    @Override public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        TensorView a = in.ours();
        TensorView b = in.theirs();
        for (long i = 0, n = in.size(); i < n; i++) {
            double t = base.get(i);
            out.set(i, t + lambdaOurs * (a.get(i) - t) + lambdaTheirs * (b.get(i) - t));
        }
        return "";
    }

    /** A number as short as it reads: 1 rather than 1.0. */
    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
