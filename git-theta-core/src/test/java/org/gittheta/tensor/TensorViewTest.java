package org.gittheta.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorViewTest {
    private static double read(DType t, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return new TensorView(MemorySegment.ofArray(b), t).get(0);
    }

    @Test
    void eightBitFloats() {
        assertThat(read(DType.F8_E4M3, 0x38)).isEqualTo(1.0);
        assertThat(read(DType.F8_E4M3, 0x7e)).isEqualTo(448.0);
        assertThat(read(DType.F8_E4M3, 0xb8)).isEqualTo(-1.0);
        assertThat(read(DType.F8_E4M3, 0x01)).isEqualTo(Math.scalb(1.0, -9));
        assertThat(read(DType.F8_E4M3, 0x7f)).isNaN();
        assertThat(read(DType.F8_E5M2, 0x3c)).isEqualTo(1.0);
        assertThat(read(DType.F8_E5M2, 0x7c)).isInfinite();
        assertThat(read(DType.F8_E8M0, 127)).isEqualTo(1.0);
        assertThat(read(DType.F8_E8M0, 0xff)).isNaN();
    }

    @Test
    void integersAndBool() {
        assertThat(read(DType.U8, 0xff)).isEqualTo(255.0);
        assertThat(read(DType.I8, 0xff)).isEqualTo(-1.0);
        assertThat(read(DType.U16, 0xff, 0xff)).isEqualTo(65535.0);
        assertThat(read(DType.U32, 0xff, 0xff, 0xff, 0xff)).isEqualTo(4294967295.0);
        assertThat(read(DType.U64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
                .isEqualTo(18446744073709551615.0);
        assertThat(read(DType.I64, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
                .isEqualTo(-2.0);
        assertThat(read(DType.BOOL, 2)).isEqualTo(1.0);
        assertThat(read(DType.BF16, 0x80, 0x3f)).isEqualTo(1.0);
    }

    @Test
    void packedAndComplexHaveNoReader() {
        assertThat(TensorView.readable(DType.F4)).isFalse();
        assertThat(TensorView.readable(DType.C64)).isFalse();
    }

    /** Each float type, odd and even counts, with NaN or an infinity at each position, or none among extremes. */
    @Test
    void allFiniteFindsEveryNaNAndInfinity() {
        double[] extremes = {-1, 1, -0.0, 0, 1e-40, -3e38, 3e38, 65504, -65504, 6e-8};
        double[] halfExtremes = {-1, 1, -0.0, 0, 6e-8, -65504, 65504, 1e-3, -2, 3};
        for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
            for (int n : new int[] {1, 2, 5, 8}) {
                TensorView v = new TensorView(MemorySegment.ofArray(new byte[n * t.byteWidth()]), t);
                for (int i = 0; i < n; i++) v.set(i, (t == DType.F16 ? halfExtremes : extremes)[i]);
                assertThat(v.allFinite()).as("%s of %d", t, n).isTrue();
                for (int at = 0; at < n; at++) {
                    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                        double was = v.get(at);
                        v.set(at, bad);
                        assertThat(v.allFinite())
                                .as("%s of %d, %s at %d", t, n, bad, at)
                                .isFalse();
                        v.set(at, was);
                    }
                }
            }
        }
    }
}
