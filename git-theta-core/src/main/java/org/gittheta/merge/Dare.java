package org.gittheta.merge;

import java.util.SplittableRandom;
import org.gittheta.tensor.TensorView;

/**
 * DARE (Yu et al. 2024): each element of each model's task vector is dropped with probability {@code p} and the
 * kept ones rescaled by 1/(1 − p), giving τ̃_j. Without {@code ties}: θ = θ_base + Σ λ_j τ̃_j (mergekit's
 * dare_linear). With {@code ties} (dare-ties, mergekit's dare_ties): a TIES sign election over λ_j τ̃_j, and the sum
 * of the entries that agree with the elected sign (mergekit does not normalise dare_ties). The drops are
 * reproducible: model j of parameter {@code name} draws {@code nextDouble()} per element, in element order, from
 * {@link #random(long, String, int)}; an element is dropped when its draw is below p.
 */
public record Dare(double p, long seed, PerModel lambda, boolean ties) implements MergeStrategy.TaskVectors {
    public Dare {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dare: p " + p + " is not in [0, 1)");
    }

    @Override
    public String describe() {
        return (ties ? "dare-ties" : "dare") + "(p=" + p + ", seed=" + seed + ", lambda=" + lambda.text() + ")";
    }

    /** The generator of model j's drops: independent of the order or parallelism in which parameters are merged. */
    public static SplittableRandom random(long seed, String name, int model) {
        return new SplittableRandom(seed * 1_000_003L + 2L * name.hashCode() + model);
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        TensorView base = in.base().orElseThrow();
        int m = in.models().size();
        long n = in.size();
        double[] l = TaskArithmetic.lambdas(in, lambda);
        double scale = 1 / (1 - p);
        if (ties) {
            SignElection.merge(base, m, n, new Dropped(in, seed, l, p, scale), SignElection.ones(m), false, out);
            return "";
        }
        SplittableRandom[] r = new SplittableRandom[m];
        for (int j = 0; j < m; j++)
            r[j] = random(seed, in.name(), in.models().get(j).index());
        for (long i = 0; i < n; i++) {
            double b = base.get(i);
            double sum = b;
            for (int j = 0; j < m; j++) {
                double tau = r[j].nextDouble() < p ? 0 : (in.values(j).get(i) - b) * scale;
                sum += l[j] * tau;
            }
            out.set(i, sum);
        }
        return "";
    }

    /** The dropped, rescaled and weighted task vectors, read once in element order, as the draws are. */
    private static final class Dropped implements SignElection.Vectors {
        private final MergeInput in;
        private final SplittableRandom[] random;
        private final double[] lambda;
        private final double p;
        private final double scale;

        Dropped(MergeInput in, long seed, double[] lambda, double p, double scale) {
            this.in = in;
            this.random = new SplittableRandom[lambda.length];
            for (int j = 0; j < lambda.length; j++)
                random[j] = random(seed, in.name(), in.models().get(j).index());
            this.lambda = lambda;
            this.p = p;
            this.scale = scale;
        }

        @Override
        public void fill(int j, long from, int count, double[] base, double[] dst) {
            Chunks.taskVector(in.values(j), base, 1, from, count, dst);
            for (int i = 0; i < count; i++) dst[i] = random[j].nextDouble() < p ? 0 : lambda[j] * (dst[i] * scale);
        }
    }
}
