package org.gittheta.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DTypeTest {
    @Test
    void codesAreStableAndUnique() {
        // codes are stored in objects: the first twenty may never change
        assertThat(DType.BOOL.code()).isEqualTo(1);
        assertThat(DType.F32.code()).isEqualTo(12);
        assertThat(DType.C64.code()).isEqualTo(20);
        assertThat(DType.Q4_0.code()).isEqualTo(21);
        assertThat(DType.MXFP4.code()).isEqualTo(44);
        assertThat(Arrays.stream(DType.values()).map(DType::code).distinct()).hasSize(DType.values().length);
        assertThat(Arrays.stream(DType.values()))
                .allSatisfy(t -> assertThat(DType.fromCode(t.code())).isEqualTo(t));
        assertThat(Arrays.stream(DType.values()))
                .allSatisfy(t -> assertThat(t.code()).isBetween(1, 255));
    }

    @ParameterizedTest
    @CsvSource({
        "Q4_0, 32, 18",
        "Q8_0, 32, 34",
        "Q8_1, 32, 36",
        "Q2_K, 256, 84",
        "Q3_K, 256, 110",
        "Q4_K, 256, 144",
        "Q5_K, 256, 176",
        "Q6_K, 256, 210",
        "Q8_K, 256, 292",
        "IQ4_XS, 256, 136",
        "TQ1_0, 256, 54",
        "MXFP4, 32, 17"
    })
    void quantizedTypesAreWholeBlocks(DType t, int elements, int bytes) {
        assertThat(t.kind()).isEqualTo(DType.Kind.QUANTIZED);
        assertThat(t.isFloat()).isFalse();
        assertThat(t.blockElements()).isEqualTo(elements);
        assertThat(t.blockBytes()).isEqualTo(bytes);
        assertThat(t.byteWidth()).isEqualTo(1);
        assertThat(t.byteSize(0)).isZero();
        assertThat(t.byteSize(3L * elements)).isEqualTo(3L * bytes);
        assertThatThrownBy(() -> t.byteSize(elements + 1))
                .isInstanceOf(ArithmeticException.class)
                .hasMessage((elements + 1) + " elements of " + t + " are not a whole number of " + elements
                        + "-element blocks");
        assertThat(DType.fromName(t.name().toLowerCase())).contains(t);
    }

    @Test
    void quantizedByteSizesThatOverflowAreRefused() {
        assertThatThrownBy(() -> DType.Q8_0.byteSize(Long.MAX_VALUE / 32 * 32)).isInstanceOf(ArithmeticException.class);
        assertThat(DType.Q4_0.byteSize(Long.MAX_VALUE / 32 * 32)).isEqualTo(Long.MAX_VALUE / 32 * 18);
    }

    @Test
    void elementTypesAreOneElementBlocks() {
        assertThat(DType.F16.blockElements()).isEqualTo(1);
        assertThat(DType.F16.blockBytes()).isEqualTo(2);
        assertThat(DType.F32.byteSize(3)).isEqualTo(12);
        assertThat(DType.F4.byteSize(4)).isEqualTo(2);
        assertThatThrownBy(() -> DType.F4.byteSize(3)).hasMessage("3 elements of F4 do not fill whole bytes");
    }
}
