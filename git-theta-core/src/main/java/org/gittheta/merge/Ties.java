package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * TIES-merging (Yadav et al. 2023): each side's task vector τ_s = λ_s (θ_s − θ_base) is trimmed to its
 * {@code density} fraction of largest magnitudes, each element's sign is elected by the total mass of the trimmed
 * vectors (a tie takes the sign of the whole tensor's mass, then +), and the merged task vector is the mean of the
 * trimmed entries that agree with that sign: θ = θ_base + mean.
 */
public record Ties(double density, double lambdaOurs, double lambdaTheirs) implements MergeStrategy.Arithmetic {
    public Ties {
        if (!(density >= 0 && density <= 1)) throw new IllegalArgumentException("ties: density " + density + " is not in [0, 1]");
    }

    @Override public String describe() {
        return "ties(density=" + density + ", lambda=" + TaskArithmetic.num(lambdaOurs) + "," + TaskArithmetic.num(lambdaTheirs) + ")";
    }

    @Override public boolean needsBase() { return true; }

    @Override public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        long n = in.size();
        long k = (long) Math.floor(density * n);
        Trimmed ours = new Trimmed(base, in.ours(), lambdaOurs, n, k);
        Trimmed theirs = new Trimmed(base, in.theirs(), lambdaTheirs, n, k);
        double totalMass = 0;
        for (long i = 0; i < n; i++) totalMass += ours.at(i) + theirs.at(i);
        double majority = totalMass < 0 ? -1 : 1;
        for (long i = 0; i < n; i++) {
            double a = ours.at(i);
            double b = theirs.at(i);
            double sign = Math.signum(a + b);
            if (sign == 0) sign = majority;
            double sum = 0;
            int count = 0;
            if (a != 0 && Math.signum(a) == sign) { sum += a; count++; }
            if (b != 0 && Math.signum(b) == sign) { sum += b; count++; }
            out.set(i, base.get(i) + (count == 0 ? 0 : sum / count));
        }
        return "";
    }

    /** One side's task vector with all but its top-k magnitudes (ties at the k-th kept) set to zero. */
    private static final class Trimmed {
        private final TensorView base;
        private final TensorView side;
        private final double lambda;
        private final float threshold;
        private final boolean none;

        Trimmed(TensorView base, TensorView side, double lambda, long n, long k) {
            this.base = base;
            this.side = side;
            this.lambda = lambda;
            this.none = k == 0;
            this.threshold = none ? Float.POSITIVE_INFINITY : TopK.kthLargest(n, k, i -> magnitude(raw(i)));
        }

        double raw(long i) { return lambda * (side.get(i) - base.get(i)); }

        double at(long i) {
            if (none) return 0;
            double t = raw(i);
            return magnitude(t) >= threshold ? t : 0;
        }

        private static float magnitude(double t) { return (float) Math.abs(t); }
    }
}
