package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * TIES-merging (Yadav et al. 2023) as mergekit computes it: each model's task vector s_j = λ_j (θ_j − θ_base) is
 * trimmed to its {@code density} fraction of largest magnitudes (ties at the k-th kept), then {@link SignElection}
 * over w_j s_j: θ = θ_base + the weighted mean Σ w_j s_j / Σ w_j of the trimmed entries agreeing with the elected sign
 * ({@code normalize}), or their sum Σ w_j s_j. With weights 1 the mean is the paper's disjoint mean.
 */
public record Ties(PerModel density, PerModel lambda, PerModel weight, boolean normalize)
        implements MergeStrategy.Arithmetic {
    /** The paper's TIES: weights 1, disjoint mean. */
    public Ties(PerModel density, PerModel lambda) {
        this(density, lambda, Average.EQUAL, true);
    }

    public Ties {
        for (double d : density.values()) {
            if (!(d >= 0 && d <= 1)) throw new IllegalArgumentException("ties: density " + d + " is not in [0, 1]");
        }
    }

    @Override
    public String describe() {
        return "ties(density=" + density.text() + ", lambda=" + lambda.text()
                + (weight.equals(Average.EQUAL) ? "" : ", weight=" + weight.text())
                + (normalize ? "" : ", normalize=false") + ")";
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        long n = in.size();
        int m = in.models().size();
        Trimmed[] t = new Trimmed[m];
        for (int j = 0; j < m; j++) {
            long k = (long) Math.floor(in.of(density, j) * n);
            t[j] = new Trimmed(base, in.values(j), in.of(lambda, j), n, k);
        }
        SignElection.merge(base, m, n, (j, i) -> t[j].at(i), TaskArithmetic.lambdas(in, weight), normalize, out);
        return "";
    }

    /** One task vector with all but its top-k magnitudes (ties at the k-th kept) set to zero. */
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

        double raw(long i) {
            return lambda * (side.get(i) - base.get(i));
        }

        double at(long i) {
            if (none) return 0;
            double t = raw(i);
            return magnitude(t) >= threshold ? t : 0;
        }
    }

    static float magnitude(double t) {
        return (float) Math.abs(t);
    }
}
