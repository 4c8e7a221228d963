package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gittheta.merge.StrategiesTest.assertClose;
import static org.gittheta.merge.StrategiesTest.random;
import static org.gittheta.merge.StrategiesTest.read;
import static org.gittheta.merge.StrategiesTest.rounded;
import static org.gittheta.merge.StrategiesTest.vec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every arithmetic strategy over N = 2 and N = 3 fine-tunes, against references written here as plain loops over
 * doubles (sorting where the production code selects by radix passes), for F32, F16 and BF16.
 */
class NWayStrategiesTest {
    private static final int N = 9000; // a few chunks (Chunks.SIZE), the last one partial
    private static final String NAME = "layer.w";

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (DType d : List.of(DType.F32, DType.F16, DType.BF16)) for (int m : List.of(2, 3)) a.add(Arguments.of(d, m));
        return a.stream();
    }

    /** A base and m fine-tunes of it, rounded to {@code dtype}; model j's task vector has its own scale. */
    private record Models(double[] base, double[][] models) {
        static Models of(DType dtype, int m) {
            double[] base = rounded(dtype, random(11, N, 0.02));
            double[][] models = new double[m][];
            for (int j = 0; j < m; j++) {
                double[] d = random(20 + j, N, 0.002 * (j + 1));
                double[] x = base.clone();
                for (int i = 0; i < N; i++) x[i] += d[i];
                models[j] = rounded(dtype, x);
            }
            return new Models(base, models);
        }

        double tau(int j, int i) {
            return models[j][i] - base[i];
        }
    }

    private static double[] run(MergeStrategy.Arithmetic s, DType dtype, Models in, double[][] fishers) {
        List<MergeInput.Model> models = new ArrayList<>();
        for (int j = 0; j < in.models().length; j++) {
            Optional<TensorView> f = fishers == null ? Optional.empty() : Optional.of(vec(DType.F32, fishers[j]));
            models.add(new MergeInput.Model(j, vec(dtype, in.models()[j]), f));
        }
        TensorView out = vec(dtype, new double[N]);
        s.merge(new MergeInput(NAME, Optional.of(vec(dtype, in.base())), models, models.size()), out);
        return read(out);
    }

    private static double[] weights(int m, double... w) {
        return Arrays.copyOf(w, m);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void average(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] w = weights(m, 1, 3, 0.5);
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) {
            double num = 0;
            double den = 0;
            for (int j = 0; j < m; j++) {
                num += w[j] * in.models()[j][i];
                den += w[j];
            }
            ref[i] = num / den;
        }
        assertClose(dtype, run(new Average(PerModel.of(w)), dtype, in, null), ref);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void taskArithmetic(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 0.3, 0.6, 0.9);
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) {
            ref[i] = in.base()[i];
            for (int j = 0; j < m; j++) ref[i] += l[j] * in.tau(j, i);
        }
        assertClose(dtype, run(new TaskArithmetic(PerModel.of(l)), dtype, in, null), ref);
    }

    /** Keeps the entries whose float magnitude is at least the k-th largest, by sorting. */
    private static double[] trim(double[] t, double density) {
        int k = (int) Math.floor(density * t.length);
        if (k == 0) return new double[t.length];
        float[] sorted = new float[t.length];
        for (int i = 0; i < t.length; i++) sorted[i] = (float) Math.abs(t[i]);
        Arrays.sort(sorted);
        float threshold = sorted[t.length - k];
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) out[i] = (float) Math.abs(t[i]) >= threshold ? t[i] : 0;
        return out;
    }

    /**
     * TIES' election over the rows s[j] as mergekit computes it: + where the column sums to 0 or more, else −; mean
     * (or sum) of the non-zero entries agreeing with it.
     */
    private static double[] elect(double[] base, double[][] s, boolean mean) {
        double[] ref = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            double total = 0;
            for (double[] row : s) total += row[i];
            double sign = total >= 0 ? 1 : -1;
            double sum = 0;
            int count = 0;
            for (double[] row : s) {
                if (row[i] != 0 && Math.signum(row[i]) == sign) {
                    sum += row[i];
                    count++;
                }
            }
            ref[i] = base[i] + (count == 0 ? 0 : mean ? sum / count : sum);
        }
        return ref;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void ties(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 1, 0.8, 1.2);
        double[] d = weights(m, 0.3, 0.5, 0.2);
        double[][] s = new double[m][N];
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < N; i++) s[j][i] = l[j] * in.tau(j, i);
            s[j] = trim(s[j], d[j]);
        }
        assertClose(dtype, run(new Ties(PerModel.of(d), PerModel.of(l)), dtype, in, null), elect(in.base(), s, true));
    }

    /**
     * TIES ranks each task vector's magnitudes as the reference does whatever the exponent gap between a model's value
     * and the base's, subnormals included: values spread over 2^-140 to 2^40, or 2^-26 to 2^14 for F16 (its
     * subnormals to below its largest).
     */
    @ParameterizedTest
    @MethodSource("cases")
    void tiesRanksAsTheReferenceWhateverTheExponentGap(DType dtype, int m) {
        SplittableRandom r = new SplittableRandom(7);
        double[] base = new double[N];
        for (int i = 0; i < N; i++) base[i] = spread(r, dtype);
        double[][] models = new double[m][];
        for (int j = 0; j < m; j++) {
            models[j] = base.clone();
            for (int i = 0; i < N; i++) if (r.nextInt(4) > 0) models[j][i] = spread(r, dtype);
            models[j] = rounded(dtype, models[j]);
        }
        Models in = new Models(rounded(dtype, base), models);
        double[] d = weights(m, 0.3, 0.5, 0.2);
        double[][] s = new double[m][N];
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < N; i++) s[j][i] = in.tau(j, i);
            s[j] = trim(s[j], d[j]);
        }
        double[] actual = run(new Ties(PerModel.of(d), PerModel.of(1)), dtype, in, null);
        assertClose(dtype, actual, elect(in.base(), s, true));
    }

    private static double spread(SplittableRandom r, DType dtype) {
        int exponent = dtype == DType.F16 ? r.nextInt(-26, 15) : r.nextInt(-140, 41);
        return (r.nextBoolean() ? 1 : -1) * (1 + r.nextDouble()) * Math.scalb(1.0, exponent);
    }

    @Test
    void tiesWithNonFiniteValues() {
        // element 5: +inf and -inf (the column's total is NaN, which elects -); 5000: NaN on one side, trimmed away as
        // NaN magnitudes are; 8000: +inf on one side. The NaN magnitude ranks first and takes one of the kept places.
        Models in = Models.of(DType.F32, 2);
        in.models()[0][5] = Double.POSITIVE_INFINITY;
        in.models()[1][5] = Double.NEGATIVE_INFINITY;
        in.models()[0][5000] = Double.NaN;
        in.models()[1][8000] = Double.POSITIVE_INFINITY;
        double[][] s = new double[2][N];
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < N; i++) s[j][i] = in.tau(j, i);
            s[j] = trim(s[j], 0.3);
        }
        double[] ref = elect(in.base(), s, true);
        double[] actual = run(new Ties(PerModel.of(0.3), PerModel.of(1)), DType.F32, in, null);
        assertThat(actual[5]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(actual[8000]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(actual[5000]).isEqualTo(ref[5000]).isFinite();
        actual[5] = ref[5] = actual[8000] = ref[8000] = 0;
        assertClose(DType.F32, actual, ref);
    }

    /** The dropped and rescaled task vectors, with the draws the documentation specifies. */
    private static double[][] dare(Models in, double p, long seed, double[] l) {
        int m = in.models().length;
        double[][] s = new double[m][N];
        for (int j = 0; j < m; j++) {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + 2L * NAME.hashCode() + j);
            for (int i = 0; i < N; i++) s[j][i] = r.nextDouble() < p ? 0 : l[j] * (in.tau(j, i) * (1 / (1 - p)));
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void dare(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 0.9, 1.1, 0.7);
        double[][] s = dare(in, 0.4, 3, l);
        double[] ref = in.base().clone();
        for (double[] row : s) for (int i = 0; i < N; i++) ref[i] += row[i];
        assertClose(dtype, run(new Dare(0.4, 3, PerModel.of(l), false), dtype, in, null), ref);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void dareTies(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 0.9, 1.1, 0.7);
        double[] ref = elect(in.base(), dare(in, 0.4, 3, l), false);
        assertClose(dtype, run(new Dare(0.4, 3, PerModel.of(l), true), dtype, in, null), ref);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void breadcrumbs(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 1, 0.5, 0.8);
        double density = 0.6;
        double gamma = 0.05;
        double[] ref = in.base().clone();
        for (int j = 0; j < m; j++) {
            // mergekit: sort magnitudes ascending, keep ranks [n − keep − top, n − top); magnitudes tied with a cut
            // are treated alike (kept at the lower cut, dropped at the upper one)
            float[] sorted = new float[N];
            for (int i = 0; i < N; i++) sorted[i] = (float) Math.abs(in.tau(j, i));
            Arrays.sort(sorted);
            int keep = (int) Math.floor(density * N);
            int top = (int) Math.floor(gamma * N);
            float low = sorted[N - keep - top];
            float high = sorted[N - top];
            for (int i = 0; i < N; i++) {
                float mag = (float) Math.abs(in.tau(j, i));
                if (mag >= low && mag < high) ref[i] += l[j] * in.tau(j, i);
            }
        }
        assertClose(dtype, run(new Breadcrumbs(PerModel.of(density), gamma, PerModel.of(l)), dtype, in, null), ref);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void modelStock(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double cos = 0;
        int pairs = 0;
        for (int a = 0; a < m; a++) {
            for (int b = a + 1; b < m; b++) {
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int i = 0; i < N; i++) {
                    dot += in.tau(a, i) * in.tau(b, i);
                    na += in.tau(a, i) * in.tau(a, i);
                    nb += in.tau(b, i) * in.tau(b, i);
                }
                cos += Math.max(-1, Math.min(1, dot / Math.max(Math.sqrt(na * nb), 1e-6)));
                pairs++;
            }
        }
        cos /= pairs;
        double t = m * cos / (1 + (m - 1) * cos);
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) {
            double mean = 0;
            for (double[] x : in.models()) mean += x[i] / m;
            ref[i] = t * mean + (1 - t) * in.base()[i];
        }
        assertClose(dtype, run(new ModelStock(), dtype, in, null), ref);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fisher(DType dtype, int m) {
        Models in = Models.of(dtype, m);
        double[] l = weights(m, 0.5, 2, 1);
        double[][] f = new double[m][];
        for (int j = 0; j < m; j++) {
            double[] g = random(40 + j, N, 1);
            for (int i = 0; i < N; i++) g[i] *= g[i];
            f[j] = rounded(DType.F32, g);
        }
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) {
            double num = 0;
            double den = 0;
            for (int j = 0; j < m; j++) {
                double w = l[j] * Math.max(f[j][i], 1e-4);
                num += w * in.models()[j][i];
                den += w;
            }
            ref[i] = num / den;
        }
        assertClose(dtype, run(new FisherMerge(PerModel.of(l), 1e-4), dtype, in, f), ref);
    }

    @Test
    void slerpRefusesThreeModelsAndPerModelOptionsMustFit() {
        Models in = Models.of(DType.F32, 3);
        assertThatThrownBy(() -> run(new Slerp(0.5), DType.F32, in, null))
                .hasMessageContaining("slerp merges two models, not 3");
        assertThatThrownBy(() -> run(new TaskArithmetic(PerModel.of(1, 2)), DType.F32, in, null))
                .hasMessageContaining("1,2 gives 2 values for 3 models");
        assertThatThrownBy(() -> PerModel.parse("weight", "1,NaN"))
                .hasMessageContaining("weight=1,NaN is not a finite number");
    }

    @Test
    void handComputedThreeWayTies() {
        // base 0, density 1: element 0: τ 1, 2, −6 → mass −3 elects −, only −6 agrees; element 1: 1, 1, 4 → mean 2
        Models in = new Models(new double[2], new double[][] {{1, 1}, {2, 1}, {-6, 4}});
        List<MergeInput.Model> models = new ArrayList<>();
        for (int j = 0; j < 3; j++)
            models.add(new MergeInput.Model(j, vec(DType.F32, in.models()[j]), Optional.empty()));
        TensorView out = vec(DType.F32, 0, 0);
        new Ties(PerModel.of(1), PerModel.of(1))
                .merge(new MergeInput("w", Optional.of(vec(DType.F32, 0, 0)), models, 3), out);
        assertThat(read(out)).containsExactly(-6, 2);
    }
}
