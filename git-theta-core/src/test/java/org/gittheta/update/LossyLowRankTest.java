package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;

class LossyLowRankTest {
    private static final UpdateOptions LOSSY_R2 = new UpdateOptions(
            Optional.of(UpdateKind.LOW_RANK), Optional.empty(), 8, OptionalInt.of(2), true, Optional.empty());
    private final SplittableRandom rnd = new SplittableRandom(9);

    @Test
    void anF64MatrixIsStoredAsFactorsAndItsHashIsThatOfTheReconstruction() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            Shape shape = Shape.of(40, 30);
            double[] prev = new double[1200], next = new double[1200];
            for (int i = 0; i < prev.length; i++) prev[i] = rnd.nextGaussian();
            double[] u = new double[80], v = new double[60];
            for (int i = 0; i < 80; i++) u[i] = rnd.nextGaussian();
            for (int i = 0; i < 60; i++) v[i] = rnd.nextGaussian();
            for (int i = 0; i < 1200; i++)
                next[i] = prev[i] + 0.1 * (u[i / 30 * 2] * v[i % 30 * 2] + u[i / 30 * 2 + 1] * v[i % 30 * 2 + 1]);
            ParamEntry first = f.encode(UpdateOptions.auto(), "w", DType.F64, shape, bytes(prev), Optional.empty());
            ParamEntry second = f.encode(LOSSY_R2, "w", DType.F64, shape, bytes(next), Optional.of(first));
            assertThat(second.update()).isEqualTo("low-rank");
            assertThat(second.attributes()).containsEntry("lossy", "svd-r2");
            byte[] stored = f.decode(second);
            assertThat(second.sha256()).isEqualTo(StoreFiles.sha256(stored));
            MemorySegment s = MemorySegment.ofArray(stored);
            for (int i = 0; i < 1200; i++) {
                // float32 factors: the change is reproduced to float precision
                assertThat(new TensorView(s, DType.F64).get(i))
                        .isCloseTo(next[i], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void aVectorIsStoredExactly() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] before = UpdateFixture.randomValues(DType.F32, 64, rnd),
                    after = UpdateFixture.randomValues(DType.F32, 64, rnd);
            ParamEntry first = f.encode(UpdateOptions.auto(), "b", DType.F32, Shape.of(64), before, Optional.empty());
            ParamEntry second = f.encode(LOSSY_R2, "b", DType.F32, Shape.of(64), after, Optional.of(first));
            assertThat(second.attributes()).doesNotContainKey("lossy");
            assertThat(f.decode(second)).isEqualTo(after);
        }
    }

    private static byte[] bytes(double[] v) {
        byte[] b = new byte[v.length * 8];
        for (int i = 0; i < v.length; i++) new TensorView(MemorySegment.ofArray(b), DType.F64).set(i, v[i]);
        return b;
    }
}
