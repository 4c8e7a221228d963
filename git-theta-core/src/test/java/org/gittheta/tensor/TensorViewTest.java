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
}
