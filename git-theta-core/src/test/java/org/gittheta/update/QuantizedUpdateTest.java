package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Random;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ggml's quantized blocks are stored as raw bytes: every update kind keeps them exact, none reads them as floats. */
class QuantizedUpdateTest {
    @ParameterizedTest
    @CsvSource({
        "Q4_K, DENSE",
        "Q4_K, SPARSE",
        "Q4_K, XOR_DELTA",
        "Q4_K, LOW_RANK",
        "Q4_K, IA3",
        "Q8_0, SPARSE",
        "Q6_K, XOR_DELTA",
        "IQ4_XS, LOW_RANK"
    })
    void everyUpdateKindRebuildsQuantizedBlocksExactly(DType t, UpdateKind kind) throws Exception {
        Shape shape = Shape.of(4, 512);
        Random random = new Random(3);
        byte[] before = new byte[(int) t.byteSize(shape.numel())];
        random.nextBytes(before);
        byte[] after = before.clone();
        for (int i = 0; i < after.length; i += 97) after[i] ^= 0x5a;
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry first = f.encode(UpdateOptions.auto(), "w", t, shape, before, Optional.empty());
            ParamEntry second = f.encode(UpdateFixture.forced(kind), "w", t, shape, after, Optional.of(first));
            assertThat(f.decode(first)).isEqualTo(before);
            assertThat(f.decode(second)).isEqualTo(after);
            assertThat(second.dtype()).isEqualTo(t);
        }
    }
}
