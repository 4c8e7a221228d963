package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.TensorView;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each strategy against hand-computed small tensors (exact in every type) and against a reference written here
 * as plain loops over doubles, for F32, F16 and BF16.
 */
class StrategiesTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** Values rounded to {@code dtype} as a tensor of it. */
    static TensorView vec(DType dtype, double... values) {
        MemorySegment seg = ARENA.allocate((long) values.length * dtype.byteWidth());
        TensorView v = new TensorView(seg, dtype);
        for (int i = 0; i < values.length; i++) v.set(i, values[i]);
        return v;
    }

    static double[] read(TensorView v) {
        double[] d = new double[(int) v.count()];
        for (int i = 0; i < d.length; i++) d[i] = v.get(i);
        return d;
    }

    /** What the tensor holds after rounding: the inputs strategies really see. */
    static double[] rounded(DType dtype, double[] values) {
        return read(vec(dtype, values));
    }

    /** The reference's double result cast as the strategies must: to float32 with RNE, then to the 16-bit type with
     * RNE. */
    static double cast(DType dtype, double v) {
        float f = (float) v;
        return switch (dtype) {
            case F32 -> f;
            case F16 -> Floats.f16ToFloat(Floats.floatToF16(f));
            case BF16 -> Floats.bf16ToFloat(Floats.floatToBf16(f));
            default -> throw new AssertionError(dtype);
        };
    }

    static double[] run(
            MergeStrategy.Arithmetic s,
            DType dtype,
            double[] base,
            double[] ours,
            double[] theirs,
            double[] fo,
            double[] ft) {
        TensorView out = vec(dtype, new double[ours.length]);
        MergeInput in = MergeInput.two(
                "layer.w",
                Optional.ofNullable(base).map(b -> vec(dtype, b)),
                vec(dtype, ours),
                vec(dtype, theirs),
                Optional.ofNullable(fo).map(f -> vec(DType.F32, f)),
                Optional.ofNullable(ft).map(f -> vec(DType.F32, f)));
        s.merge(in, out);
        return read(out);
    }

    /** A strategy that reads no Fisher. */
    static double[] run(MergeStrategy.Arithmetic s, DType dtype, double[] base, double[] ours, double[] theirs) {
        return run(s, dtype, base, ours, theirs, null, null);
    }

    /** A test run for each float type strategies write: F32, F16 and BF16. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    @interface FloatTypes {}

    /** Equal within one unit in the last place (with slack for the double arithmetic of the check) of {@code dtype}
     * (the reference may sum in another order). */
    static void assertClose(DType dtype, double[] actual, double[] reference) {
        assertThat(actual).hasSameSizeAs(reference);
        for (int i = 0; i < actual.length; i++) {
            double expected = cast(dtype, reference[i]);
            double ulp = switch (dtype) {
                case F32 -> Math.ulp((float) expected);
                case F16 -> Math.scalb(Math.ulp(1.0f), 13) * Math.max(Math.abs(expected), 6.1e-5);
                case BF16 -> Math.scalb(Math.abs(expected), -7) + 1e-38;
                default -> throw new AssertionError(dtype);
            };
            assertThat(actual[i])
                    .as("element %d", i)
                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(1.5 * ulp));
        }
    }

    static double[] random(long seed, int n, double scale) {
        Random r = new Random(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = scale * r.nextGaussian();
        return d;
    }

    record Inputs(double[] base, double[] ours, double[] theirs) {}

    /** A base and two fine-tunes of it, already rounded to {@code dtype}. */
    static Inputs fineTunes(DType dtype, int n) {
        double[] base = rounded(dtype, random(1, n, 0.02));
        double[] ours = base.clone();
        double[] theirs = base.clone();
        double[] da = random(2, n, 0.002);
        double[] db = random(3, n, 0.002);
        for (int i = 0; i < n; i++) {
            ours[i] += da[i];
            theirs[i] += db[i];
        }
        return new Inputs(base, rounded(dtype, ours), rounded(dtype, theirs));
    }

    @Nested
    class AverageStrategy {
        @FloatTypes
        void handComputed(DType dtype) {
            assertThat(run(new Average(), dtype, null, new double[] {1, 2, -3}, new double[] {3, 2, 1}))
                    .containsExactly(2, 2, -1);
        }

        @FloatTypes
        void matchesReference(DType dtype) {
            Inputs in = fineTunes(dtype, 1000);
            double[] ref = new double[1000];
            for (int i = 0; i < ref.length; i++) ref[i] = (in.ours()[i] + in.theirs()[i]) / 2;
            assertClose(dtype, run(new Average(), dtype, null, in.ours(), in.theirs()), ref);
        }
    }

    @Nested
    class TaskArithmeticStrategy {
        @FloatTypes
        void handComputed(DType dtype) {
            // 1 + 1·(2−1) + 0.5·(1−1) = 2;  1 + 0 + 0.5·(3−1) = 2;  1 + 1·(0−1) + 0 = 0
            assertThat(run(
                            new TaskArithmetic(PerModel.of(1, 0.5)),
                            dtype,
                            new double[] {1, 1, 1},
                            new double[] {2, 1, 0},
                            new double[] {1, 3, 1}))
                    .containsExactly(2, 2, 0);
        }

        @FloatTypes
        void matchesReference(DType dtype) {
            Inputs in = fineTunes(dtype, 1000);
            double[] ref = new double[1000];
            for (int i = 0; i < ref.length; i++)
                ref[i] = in.base()[i] + 0.7 * (in.ours()[i] - in.base()[i]) + 0.4 * (in.theirs()[i] - in.base()[i]);
            assertClose(
                    dtype,
                    run(new TaskArithmetic(PerModel.of(0.7, 0.4)), dtype, in.base(), in.ours(), in.theirs()),
                    ref);
        }
    }

    @Nested
    class TiesStrategy {
        @FloatTypes
        void handComputed(DType dtype) {
            // base 0; ours τ = [3,-1,2,0.5] keeps 3, 2; theirs τ = [-4,-1,1,2] keeps -4, 2.
            // element 0: sum 3−4 < 0 elects −, only theirs agrees → −4; element 1: nothing kept → 0;
            // element 2: only ours → 2; element 3: only theirs → 2.
            double[] got = run(
                    new Ties(PerModel.of(0.5), PerModel.of(1, 1)),
                    dtype,
                    new double[4],
                    new double[] {3, -1, 2, 0.5},
                    new double[] {-4, -1, 1, 2});
            assertThat(got).containsExactly(-4, 0, 2, 2);
        }

        @FloatTypes
        void agreeingEntriesAreAveraged(DType dtype) {
            double[] got = run(
                    new Ties(PerModel.of(1), PerModel.of(1, 1)),
                    dtype,
                    new double[] {1, 1},
                    new double[] {2, 0},
                    new double[] {4, 3});
            // element 0: τ 1 and 3 agree → mean 2 → 3; element 1: τ −1 and 2, sum +1 → 2 → 3
            assertThat(got).containsExactly(3, 3);
        }

        @FloatTypes
        void matchesReference(DType dtype) {
            int n = 2000;
            Inputs in = fineTunes(dtype, n);
            double density = 0.3;
            double lo = 1.0;
            double lt = 0.8;
            double[] to = trim(taskVector(in.base(), in.ours(), lo), density);
            double[] tt = trim(taskVector(in.base(), in.theirs(), lt), density);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                double sign = to[i] + tt[i] >= 0 ? 1 : -1; // mergekit: a sum of 0 elects +
                double sum = 0;
                int count = 0;
                for (double x : new double[] {to[i], tt[i]}) {
                    if (x != 0 && Math.signum(x) == sign) {
                        sum += x;
                        count++;
                    }
                }
                ref[i] = in.base()[i] + (count == 0 ? 0 : sum / count);
            }
            assertClose(
                    dtype,
                    run(new Ties(PerModel.of(density), PerModel.of(lo, lt)), dtype, in.base(), in.ours(), in.theirs()),
                    ref);
        }

        private static double[] taskVector(double[] base, double[] side, double lambda) {
            double[] t = new double[base.length];
            for (int i = 0; i < t.length; i++) t[i] = lambda * (side[i] - base[i]);
            return t;
        }

        /** Keeps the entries whose float magnitude is at least the k-th largest, k = floor(density·n), by sorting. */
        private static double[] trim(double[] t, double density) {
            int k = (int) Math.floor(density * t.length);
            float[] mags = new float[t.length];
            for (int i = 0; i < t.length; i++) mags[i] = (float) Math.abs(t[i]);
            float[] sorted = mags.clone();
            Arrays.sort(sorted);
            float threshold = sorted[t.length - k];
            double[] out = new double[t.length];
            for (int i = 0; i < t.length; i++) out[i] = mags[i] >= threshold ? t[i] : 0;
            return out;
        }
    }

    @Nested
    class DareStrategy {
        @FloatTypes
        void withoutDropsIsTaskArithmetic(DType dtype) {
            Inputs in = fineTunes(dtype, 500);
            assertThat(run(new Dare(0, 9, PerModel.of(1, 1), false), dtype, in.base(), in.ours(), in.theirs()))
                    .containsExactly(
                            run(new TaskArithmetic(PerModel.of(1, 1)), dtype, in.base(), in.ours(), in.theirs()));
        }

        @FloatTypes
        void matchesReferenceAndIsReproducible(DType dtype) {
            int n = 4000;
            double p = 0.3;
            Inputs in = fineTunes(dtype, n);
            SplittableRandom ro = new SplittableRandom(7 * 1_000_003L + 2L * "layer.w".hashCode());
            SplittableRandom rt = new SplittableRandom(7 * 1_000_003L + 2L * "layer.w".hashCode() + 1);
            double[] ref = new double[n];
            int dropped = 0;
            for (int i = 0; i < n; i++) {
                double b = in.base()[i];
                boolean dropO = ro.nextDouble() < p;
                boolean dropT = rt.nextDouble() < p;
                dropped += (dropO ? 1 : 0) + (dropT ? 1 : 0);
                ref[i] = b
                        + 0.9 * (dropO ? 0 : (in.ours()[i] - b) / (1 - p))
                        + 1.1 * (dropT ? 0 : (in.theirs()[i] - b) / (1 - p));
            }
            double[] got = run(new Dare(p, 7, PerModel.of(0.9, 1.1), false), dtype, in.base(), in.ours(), in.theirs());
            assertClose(dtype, got, ref);
            assertThat(dropped / (2.0 * n)).isBetween(0.27, 0.33);
            assertThat(run(new Dare(p, 7, PerModel.of(0.9, 1.1), false), dtype, in.base(), in.ours(), in.theirs()))
                    .containsExactly(got);
            assertThat(run(new Dare(p, 8, PerModel.of(0.9, 1.1), false), dtype, in.base(), in.ours(), in.theirs()))
                    .isNotEqualTo(got);
        }
    }

    @Nested
    class SlerpStrategy {
        @FloatTypes
        void handComputed(DType dtype) {
            // a quarter circle: halfway is (√½, √½)
            double[] got = run(new Slerp(0.5), dtype, null, new double[] {1, 0}, new double[] {0, 1});
            assertThat(got).containsExactly(cast(dtype, Math.sqrt(0.5)), cast(dtype, Math.sqrt(0.5)));
        }

        @FloatTypes
        void colinearIsLinear(DType dtype) {
            assertThat(run(new Slerp(0.25), dtype, null, new double[] {1, 2}, new double[] {2, 4}))
                    .containsExactly(1.25, 2.5);
        }

        @FloatTypes
        void matchesReference(DType dtype) {
            double[] a = rounded(dtype, random(4, 1000, 1));
            double[] b = rounded(dtype, random(5, 1000, 1));
            double t = 0.3;
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int i = 0; i < a.length; i++) {
                dot += a[i] * b[i];
                na += a[i] * a[i];
                nb += b[i] * b[i];
            }
            double omega = Math.acos(dot / Math.sqrt(na) / Math.sqrt(nb));
            double[] ref = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                ref[i] = (Math.sin((1 - t) * omega) * a[i] + Math.sin(t * omega) * b[i]) / Math.sin(omega);
            }
            assertClose(dtype, run(new Slerp(t), dtype, null, a, b), ref);
        }
    }

    @Nested
    class FisherStrategy {
        @FloatTypes
        void handComputed(DType dtype) {
            // element 0: (1·1 + 3·3)/(1+3) = 2.5; element 1: both Fisher 0, raised to the floor: plain mean 3
            double[] got = run(
                    new FisherMerge(PerModel.of(1, 1), 1e-6),
                    dtype,
                    null,
                    new double[] {1, 2},
                    new double[] {3, 4},
                    new double[] {1, 0},
                    new double[] {3, 0});
            assertThat(got).containsExactly(2.5, 3);
        }

        @FloatTypes
        void matchesReference(DType dtype) {
            Inputs in = fineTunes(dtype, 1000);
            double[] fo = squares(random(6, 1000, 1));
            double[] ft = squares(random(7, 1000, 1));
            double[] ref = new double[1000];
            for (int i = 0; i < ref.length; i++) {
                double wo = 0.5 * Math.max(fo[i], 1e-4);
                double wt = 2.0 * Math.max(ft[i], 1e-4);
                ref[i] = (wo * in.ours()[i] + wt * in.theirs()[i]) / (wo + wt);
            }
            assertClose(
                    dtype,
                    run(new FisherMerge(PerModel.of(0.5, 2.0), 1e-4), dtype, null, in.ours(), in.theirs(), fo, ft),
                    ref);
        }

        /** Non-negative Fisher-like values, as an F32 Fisher file holds them. */
        private static double[] squares(double[] x) {
            double[] s = new double[x.length];
            for (int i = 0; i < s.length; i++) s[i] = x[i] * x[i];
            return rounded(DType.F32, s);
        }

        @FloatTypes
        void missingOrZeroFisherFallsBackToAverage(DType dtype) {
            FisherMerge f = new FisherMerge(PerModel.of(1, 1), 1e-6);
            TensorView out = vec(dtype, 0, 0);
            String note = f.merge(
                    MergeInput.two(
                            "w",
                            Optional.empty(),
                            vec(dtype, 1, 2),
                            vec(dtype, 3, 4),
                            Optional.empty(),
                            Optional.of(vec(DType.F32, 1, 1))),
                    out);
            assertThat(read(out)).containsExactly(2, 3);
            assertThat(note).contains("average").contains("no Fisher for ours");
            note = f.merge(
                    MergeInput.two(
                            "w",
                            Optional.empty(),
                            vec(dtype, 1, 2),
                            vec(dtype, 3, 4),
                            Optional.of(vec(DType.F32, 1, 1)),
                            Optional.of(vec(DType.F32, 0, 0))),
                    out);
            assertThat(read(out)).containsExactly(2, 3);
            assertThat(note).contains("Fisher of theirs is all zero");
        }
    }
}
