package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** squash's step per parameter: a delta chain rebuilt and stored directly, the same values, no base needed. */
class StoreDirectTest {
    private static final Shape SHAPE = Shape.of(600, 1000); // several 1 MiB chunks of f32

    @Test
    void aChainOfXorDeltasBecomesOneDenseObjectOfTheSameValues() throws IOException {
        SplittableRandom rnd = new SplittableRandom(3);
        try (UpdateFixture f = new UpdateFixture()) {
            UpdateOptions xor = UpdateFixture.forced(UpdateKind.XOR_DELTA);
            ParamEntry entry = f.encode(
                    UpdateOptions.auto(),
                    "w",
                    DType.F32,
                    SHAPE,
                    UpdateFixture.randomValues(DType.F32, SHAPE.numel(), rnd),
                    Optional.empty());
            byte[] last = null;
            for (int v = 0; v < 3; v++) {
                last = UpdateFixture.randomValues(DType.F32, SHAPE.numel(), rnd);
                entry = f.encode(xor, "w", DType.F32, SHAPE, last, Optional.of(entry));
            }
            assertThat(entry.chainDepth()).isEqualTo(3);

            ParamEntry direct = new ParamEncoder(f.store, Codec.ZSTD, UpdateOptions.auto()).storeDirect(entry);

            assertThat(direct.update()).isEqualTo("dense");
            assertThat(direct.chainDepth()).isZero();
            assertThat(direct.sha256()).isEqualTo(entry.sha256());
            assertThat(f.decode(direct)).isEqualTo(last);
            Manifest before = new Manifest("safetensors", new byte[0], last.length, List.of(entry));
            Manifest after = new Manifest("safetensors", new byte[0], last.length, List.of(direct));
            assertThat(after.sameFileAs(before)).isTrue();
            assertThat(after).isNotEqualTo(before);
        }
    }

    @Test
    void valuesThatDoNotHashToTheManifestsSha256AreRefusedNamingTheParameter() throws IOException {
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry entry = f.encode(
                    UpdateOptions.auto(),
                    "w",
                    DType.F32,
                    Shape.of(128), // above the inline limit: an object
                    UpdateFixture.randomValues(DType.F32, 128, new SplittableRandom(1)),
                    Optional.empty());
            ParamEntry lying =
                    new ParamEntry("w", DType.F32, Shape.of(128), "0".repeat(64), entry.update(), entry.objects());
            assertThatThrownBy(() -> new ParamEncoder(f.store, Codec.ZSTD, UpdateOptions.auto()).storeDirect(lying))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("parameter 'w'");
        }
    }
}
