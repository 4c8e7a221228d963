package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Small values are inline in auto; a kind asked for by name still applies, on a base object made from them. */
class InlineValuesEncodingTest {
    private static final Shape SMALL = Shape.of(8, 8); // 256 bytes of F32: the largest inline parameter

    @Test
    void smallValuesAreInlineAndAForcedKindGetsABaseObjectOfThePreviousValues() throws IOException {
        SplittableRandom rnd = new SplittableRandom(11);
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v1 = UpdateFixture.randomValues(DType.F32, SMALL.numel(), rnd);
            ParamEntry first = f.encode(UpdateOptions.auto(), "b", DType.F32, SMALL, v1, Optional.empty());
            assertThat(first.isInline()).isTrue();
            assertThat(first.update()).isEqualTo(ParamEntry.INLINE);
            assertThat(f.decode(first)).isEqualTo(v1);

            byte[] v2 = v1.clone();
            v2[4] ^= 1;
            ParamEntry second =
                    f.encode(UpdateFixture.forced(UpdateKind.SPARSE), "b", DType.F32, SMALL, v2, Optional.of(first));
            assertThat(second.update()).isEqualTo("sparse");
            assertThat(second.chainDepth()).isEqualTo(1);
            assertThat(f.decode(second)).isEqualTo(v2);

            ParamEntry third = f.encode(UpdateOptions.auto(), "b", DType.F32, SMALL, v1, Optional.of(second));
            assertThat(third.isInline()).isTrue();
            assertThat(f.decode(third)).isEqualTo(v1);
            ParamEntry direct = f.encode(
                    new UpdateOptions(Optional.of(UpdateKind.XOR_DELTA), Optional.empty(), 0),
                    "b",
                    DType.F32,
                    SMALL,
                    v2,
                    Optional.of(third));
            assertThat(direct.update()).as("no chain allowed: dense").isEqualTo("dense");
            assertThat(f.decode(direct)).isEqualTo(v2);
        }
    }
}
