package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;

class UpdateRoundTripPropertiesTest {
    private static final String NAME = "model.layers.0.self_attn.q_proj.weight";

    @Provide
    Arbitrary<DType> dtypes() {
        return Arbitraries.of(
                DType.F32, DType.F16, DType.BF16, DType.F64, DType.F8_E4M3, DType.F8_E5M2, DType.F4, DType.I32);
    }

    /** How the new version differs: a few elements, everything, a row/column scaling, a merged LoRA. */
    enum Change {
        FEW,
        ALL,
        SCALE_ROWS,
        SCALE_COLS,
        LORA
    }

    @Property(tries = 80)
    void everyKindRebuildsTheExactBytes(
            @ForAll("dtypes") DType t,
            @ForAll @IntRange(min = 1, max = 24) int rows,
            @ForAll @IntRange(min = 1, max = 12) int halfCols,
            @ForAll UpdateKind kind,
            @ForAll Change change,
            @ForAll long seed)
            throws Exception {
        int cols = 2 * halfCols; // packed F4 needs an even element count
        Shape shape = Shape.of(rows, cols);
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] before = UpdateFixture.randomValues(t, shape.numel(), rnd);
        int r = 2;
        float[] a = gaussian(r * cols, rnd), b = gaussian(rows * r, rnd);
        byte[] after = changed(t, rows, cols, before, change, a, b, rnd);
        try (UpdateFixture f = new UpdateFixture()) {
            UpdateOptions options = new UpdateOptions(
                    Optional.of(kind),
                    Optional.of(LoraAdapter.load(f.adapter(
                            NAME.replace(".weight", ""), Shape.of(r, cols), Shape.of(rows, r), a, b, 4, false, false))),
                    8);
            // dense forced: an object even when small enough to be inline, so that the forced kind has a base
            ParamEntry first =
                    f.encode(UpdateFixture.forced(UpdateKind.DENSE), NAME, t, shape, before, Optional.empty());
            ParamEntry second = f.encode(options, NAME, t, shape, after, Optional.of(first));
            ParamEntry third = f.encode(UpdateOptions.auto(), NAME, t, shape, before, Optional.of(second));
            assertThat(f.decode(first)).isEqualTo(before);
            assertThat(f.decode(second)).isEqualTo(after);
            assertThat(f.decode(third)).isEqualTo(before);
            boolean applies = kind == UpdateKind.DENSE
                    || kind == UpdateKind.SPARSE
                    || kind == UpdateKind.XOR_DELTA
                    || Reconstruction.appliesTo(t);
            if (applies && !java.util.Arrays.equals(before, after))
                assertThat(second.update()).isEqualTo(kind.label());
        }
    }

    static float[] gaussian(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.05 * rnd.nextGaussian());
        return v;
    }

    private static byte[] changed(
            DType t, int rows, int cols, byte[] before, Change change, float[] a, float[] b, SplittableRandom rnd) {
        byte[] after = before.clone();
        long numel = (long) rows * cols;
        if (change == Change.ALL || !Reconstruction.appliesTo(t)) {
            byte[] fresh = UpdateFixture.randomValues(t, numel, rnd);
            int every = change == Change.FEW ? 7 : 1;
            for (int i = 0; i < after.length; i += every) after[i] = fresh[i];
            return after;
        }
        MemorySegment in = MemorySegment.ofArray(before), out = MemorySegment.ofArray(after);
        float[] rowScale = gaussian(rows, rnd), colScale = gaussian(cols, rnd);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long e = (long) i * cols + j;
                float w = new TensorView(in, t).getFloat(e);
                float v = switch (change) {
                    case FEW -> rnd.nextInt(10) == 0 ? (float) rnd.nextGaussian() : w;
                    case SCALE_ROWS -> w * (1 + rowScale[i]);
                    case SCALE_COLS -> w * (1 + colScale[j]);
                    case LORA -> {
                        double d = 0; // double, not the decoder's float order: leaves a real residual
                        for (int k = 0; k < 2; k++) d += (double) b[i * 2 + k] * a[k * cols + j];
                        yield (float) (w + 2.0 * d);
                    }
                    case ALL -> throw new AssertionError();
                };
                new TensorView(out, t).setFloat(e, v);
            }
        }
        return after;
    }
}
