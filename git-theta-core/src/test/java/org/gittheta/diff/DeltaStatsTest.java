package org.gittheta.diff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DeltaStatsTest {
    /** What the statistics must equal, computed the plain way over whole arrays. */
    record Expected(long changed, double l2, double maxAbs, double oldNorm, double newNorm, double dot) {
        static Expected of(double[] a, double[] b) {
            long changed = 0;
            double sq = 0, max = 0, na = 0, nb = 0, dot = 0;
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) changed++;
                double d = b[i] - a[i];
                sq += d * d;
                max = Math.max(max, Math.abs(d));
                na += a[i] * a[i];
                nb += b[i] * b[i];
                dot += a[i] * b[i];
            }
            return new Expected(changed, Math.sqrt(sq), max, Math.sqrt(na), Math.sqrt(nb), dot);
        }

        void check(DeltaStats s) {
            assertThat(s.changed()).isEqualTo(changed);
            assertThat(s.l2()).isCloseTo(l2, within(1e-9 * (1 + l2)));
            assertThat(s.maxAbs()).isEqualTo(maxAbs);
            assertThat(s.oldNorm()).isCloseTo(oldNorm, within(1e-9 * oldNorm));
            assertThat(s.newNorm()).isCloseTo(newNorm, within(1e-9 * newNorm));
            assertThat(s.relative()).isCloseTo(l2 / oldNorm, within(1e-9));
            assertThat(s.cosine()).isCloseTo(dot / (oldNorm * newNorm), within(1e-12));
        }
    }

    /** More elements than one chunk, so that chunk boundaries are crossed. */
    private static final int N = DeltaStats.CHUNK * 2 + 123;

    @Test
    void quantizedBlocksHaveNoStatistics() throws IOException {
        byte[] a = new byte[DType.Q4_0.blockBytes() * 2];
        byte[] b = a.clone();
        b[3] = 1;
        assertThat(DeltaStats.compute(
                        64, DType.Q4_0, new ByteArrayInputStream(a), DType.Q4_0, new ByteArrayInputStream(b)))
                .isEmpty();
        assertThat(DeltaStats.compute(
                        64,
                        DType.F16,
                        new ByteArrayInputStream(new byte[128]),
                        DType.Q4_0,
                        new ByteArrayInputStream(b)))
                .isEmpty();
    }

    @Nested
    class AgainstPlainLoops {
        @Test
        void f32WithAFewChangedElements() throws IOException {
            Random r = new Random(1);
            float[] a = new float[N];
            float[] b = new float[N];
            for (int i = 0; i < N; i++) a[i] = b[i] = (float) r.nextGaussian();
            for (int i = 0; i < N; i += 97) b[i] += (float) (r.nextGaussian() * 0.01);
            DeltaStats s =
                    DeltaStats.compute(N, DType.F32, f32(a), DType.F32, f32(b)).orElseThrow();
            Expected.of(widen(a), widen(b)).check(s);
            assertThat(s.elements()).isEqualTo(N);
        }

        @Test
        void bf16EveryElementChanged() throws IOException {
            Random r = new Random(2);
            short[] a = new short[N];
            short[] b = new short[N];
            double[] da = new double[N];
            double[] db = new double[N];
            for (int i = 0; i < N; i++) {
                a[i] = Floats.floatToBf16((float) r.nextGaussian());
                b[i] = Floats.floatToBf16(Floats.bf16ToFloat(a[i]) + 0.25f);
                da[i] = Floats.bf16ToFloat(a[i]);
                db[i] = Floats.bf16ToFloat(b[i]);
            }
            Expected.of(da, db)
                    .check(DeltaStats.compute(N, DType.BF16, shorts(a), DType.BF16, shorts(b))
                            .orElseThrow());
        }

        @Test
        void f16AndI32() throws IOException {
            short[] a = new short[1000];
            short[] b = new short[1000];
            int[] ia = new int[1000];
            int[] ib = new int[1000];
            double[] da = new double[1000];
            double[] db = new double[1000];
            double[] dia = new double[1000];
            double[] dib = new double[1000];
            for (int i = 0; i < 1000; i++) {
                a[i] = Float.floatToFloat16(i / 100f);
                b[i] = Float.floatToFloat16(i % 3 == 0 ? -i / 50f : i / 100f);
                da[i] = Float.float16ToFloat(a[i]);
                db[i] = Float.float16ToFloat(b[i]);
                ia[i] = i * 1000;
                ib[i] = i % 7 == 0 ? -i : i * 1000;
                dia[i] = ia[i];
                dib[i] = ib[i];
            }
            Expected.of(da, db)
                    .check(DeltaStats.compute(1000, DType.F16, shorts(a), DType.F16, shorts(b))
                            .orElseThrow());
            Expected.of(dia, dib)
                    .check(DeltaStats.compute(1000, DType.I32, ints(ia), DType.I32, ints(ib))
                            .orElseThrow());
        }

        @Test
        void dtypeChangeComparesValues() throws IOException {
            float[] a = {1f, 2f, 3f, 0.1f};
            double[] b = {1.0, 2.5, 3.0, 0.1};
            ByteBuffer bb = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            for (double d : b) bb.putDouble(d);
            DeltaStats s = DeltaStats.compute(4, DType.F32, f32(a), DType.F64, new ByteArrayInputStream(bb.array()))
                    .orElseThrow();
            // 0.1f widened is not 0.1: that element changed too
            Expected.of(widen(a), b).check(s);
            assertThat(s.changed()).isEqualTo(2);
        }
    }

    @Test
    void bitwiseEqualNaNIsUnchangedButNegativeZeroIsChanged() throws IOException {
        float[] a = {Float.NaN, 0f, 1f};
        float[] b = {Float.NaN, -0f, 1f};
        assertThat(DeltaStats.compute(3, DType.F32, f32(a), DType.F32, f32(b))
                        .orElseThrow()
                        .changed())
                .isEqualTo(1);
    }

    @Test
    void packedTypesHaveNoStatistics() throws IOException {
        assertThat(DeltaStats.compute(
                        2,
                        DType.F4,
                        new ByteArrayInputStream(new byte[1]),
                        DType.F4,
                        new ByteArrayInputStream(new byte[1])))
                .isEmpty();
    }

    @Test
    void aShortSideIsAnError() {
        assertThatThrownBy(() -> DeltaStats.compute(4, DType.F32, f32(new float[4]), DType.F32, f32(new float[3])))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("new values ended early");
    }

    @Test
    void zeroOldValuesHaveNoRelativeChange() throws IOException {
        DeltaStats s = DeltaStats.compute(2, DType.F32, f32(new float[2]), DType.F32, f32(new float[] {3, 4}))
                .orElseThrow();
        assertThat(s.l2()).isEqualTo(5.0);
        assertThat(s.relative()).isNaN();
        assertThat(s.cosine()).isNaN();
    }

    static ByteArrayInputStream f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return new ByteArrayInputStream(b.array());
    }

    static ByteArrayInputStream shorts(short[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) b.putShort(s);
        return new ByteArrayInputStream(b.array());
    }

    static ByteArrayInputStream ints(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) b.putInt(s);
        return new ByteArrayInputStream(b.array());
    }

    static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
