package org.gittheta.merge;

import java.util.Optional;
import org.gittheta.tensor.TensorView;

/**
 * Fisher-weighted averaging (Matena and Raffel 2022): θ = Σ λ_s F_s θ_s / Σ λ_s F_s, elementwise, with each diagonal
 * Fisher value raised to at least {@code floor} so that elements no side cares about get the λ-weighted mean. A
 * parameter without a Fisher on a side, or whose Fisher is all zero there, falls back to {@link Average}.
 */
public record FisherMerge(double lambdaOurs, double lambdaTheirs, double floor) implements MergeStrategy.Arithmetic {
    public FisherMerge {
        if (!(lambdaOurs >= 0 && lambdaTheirs >= 0 && lambdaOurs + lambdaTheirs > 0)) {
            throw new IllegalArgumentException("fisher: lambda " + lambdaOurs + "," + lambdaTheirs + " must be non-negative, not both zero");
        }
        if (!(floor > 0)) throw new IllegalArgumentException("fisher: fisherFloor " + floor + " must be positive");
    }

    @Override public String describe() {
        return "fisher(lambda=" + TaskArithmetic.num(lambdaOurs) + "," + TaskArithmetic.num(lambdaTheirs) + ", floor=" + floor + ")";
    }

    @Override public boolean needsBase() { return false; }

    @Override public String merge(MergeInput in, TensorView out) {
        String missing = unusable(in.fisherOurs(), Side.OURS) + unusable(in.fisherTheirs(), Side.THEIRS);
        if (!missing.isEmpty()) {
            new Average().merge(in, out);
            return "fell back to average:" + missing;
        }
        TensorView fo = in.fisherOurs().orElseThrow();
        TensorView ft = in.fisherTheirs().orElseThrow();
        for (long i = 0, n = in.size(); i < n; i++) {
            double wo = lambdaOurs * Math.max(fo.get(i), floor);
            double wt = lambdaTheirs * Math.max(ft.get(i), floor);
            out.set(i, (wo * in.ours().get(i) + wt * in.theirs().get(i)) / (wo + wt));
        }
        return "";
    }

    private static String unusable(Optional<TensorView> fisher, Side side) {
        if (fisher.isEmpty()) return " no Fisher for " + side.label();
        TensorView f = fisher.get();
        for (long i = 0, n = f.count(); i < n; i++) if (f.get(i) != 0) return "";
        return " Fisher of " + side.label() + " is all zero";
    }
}
