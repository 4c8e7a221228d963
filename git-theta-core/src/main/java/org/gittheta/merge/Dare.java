package org.gittheta.merge;

import java.util.SplittableRandom;
import org.gittheta.tensor.TensorView;

/**
 * DARE (Yu et al. 2024) then task arithmetic: each element of each side's task vector is dropped with probability
 * {@code p} and the kept ones rescaled by 1/(1 − p); θ = θ_base + Σ λ_s τ̃_s. The drops are reproducible: side s
 * of parameter {@code name} draws {@code nextDouble()} per element, in element order, from
 * {@link #random(long, String, Side)}; an element is dropped when the draw is below p.
 */
public record Dare(double p, long seed, double lambdaOurs, double lambdaTheirs) implements MergeStrategy.Arithmetic {
    public Dare {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dare: p " + p + " is not in [0, 1)");
    }

    @Override public String describe() {
        return "dare(p=" + p + ", seed=" + seed + ", lambda=" + TaskArithmetic.num(lambdaOurs) + "," + TaskArithmetic.num(lambdaTheirs) + ")";
    }

    @Override public boolean needsBase() { return true; }

    /** The generator of one side's drops: independent of the order or parallelism in which parameters are merged. */
    public static SplittableRandom random(long seed, String name, Side side) {
        return new SplittableRandom(seed * 1_000_003L + 2L * name.hashCode() + (side == Side.THEIRS ? 1 : 0));
    }

    @Override public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        SplittableRandom ro = random(seed, in.name(), Side.OURS);
        SplittableRandom rt = random(seed, in.name(), Side.THEIRS);
        double scale = 1 / (1 - p);
        for (long i = 0, n = in.size(); i < n; i++) {
            double b = base.get(i);
            double to = ro.nextDouble() < p ? 0 : (in.ours().get(i) - b) * scale;
            double tt = rt.nextDouble() < p ? 0 : (in.theirs().get(i) - b) * scale;
            out.set(i, b + lambdaOurs * to + lambdaTheirs * tt);
        }
        return "";
    }
}
