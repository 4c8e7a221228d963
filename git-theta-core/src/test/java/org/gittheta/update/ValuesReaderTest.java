package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.Ordered;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** The pull decoder: what a diff reads side by side, chunk by chunk. */
class ValuesReaderTest {
    // 2.5 MiB of f32: three chunks
    private static final Shape SHAPE = Shape.of(640, 1024);

    @Test
    void aChainReadsAsAStreamInSmallPieces() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        byte[] v0 = UpdateFixture.randomValues(DType.F32, SHAPE.numel(), rnd);
        byte[] v1 = v0.clone();
        for (int i = 0; i < v1.length; i += 4001) v1[i] ^= 1;
        byte[] v2 = v1.clone();
        for (int i = 0; i < v2.length; i += 3) v2[i] ^= 4;
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry e0 = f.encode(UpdateOptions.auto(), "w", DType.F32, SHAPE, v0, Optional.empty());
            UpdateOptions sparse = UpdateFixture.forced(UpdateKind.SPARSE),
                    xor = UpdateFixture.forced(UpdateKind.XOR_DELTA);
            ParamEntry e1 = f.encode(sparse, "w", DType.F32, SHAPE, v1, Optional.of(e0));
            ParamEntry e2 = f.encode(xor, "w", DType.F32, SHAPE, v2, Optional.of(e1));
            assertThat(e2.objects()).hasSize(3);
            try (InputStream in = new ParamDecoder(f.store).open(e2)) {
                byte[] read = new byte[v2.length];
                int n = 0;
                for (int k; (k = in.read(read, n, Math.min(777_777, read.length - n))) > 0; ) n += k;
                assertThat(n).isEqualTo(v2.length);
                assertThat(read).isEqualTo(v2);
                assertThat(in.read()).isEqualTo(-1);
            }
            try (InputStream in = new ParamDecoder(f.store).open(e2)) {
                assertThat(in.read()).isEqualTo(v2[0] & 0xff); // and closed before the end: nothing is left running
            }
        }
    }

    @Test
    void versionsSharingTheirChainsDecodeTogetherToTheirOwnValues() throws Exception {
        SplittableRandom rnd = new SplittableRandom(5);
        byte[] v0 = UpdateFixture.randomValues(DType.F32, SHAPE.numel(), rnd);
        byte[] v1 = v0.clone();
        for (int i = 0; i < v1.length; i += 4001) v1[i] ^= 1;
        byte[] v2 = v1.clone();
        for (int i = 0; i < v2.length; i += 3) v2[i] ^= 4;
        byte[] v3 = v1.clone(); // a branch from v1
        for (int i = 0; i < v3.length; i += 5) v3[i] ^= 2;
        try (UpdateFixture f = new UpdateFixture()) {
            UpdateOptions sparse = UpdateFixture.forced(UpdateKind.SPARSE),
                    xor = UpdateFixture.forced(UpdateKind.XOR_DELTA);
            ParamEntry e0 = f.encode(UpdateOptions.auto(), "w", DType.F32, SHAPE, v0, Optional.empty());
            ParamEntry e1 = f.encode(sparse, "w", DType.F32, SHAPE, v1, Optional.of(e0));
            ParamEntry e2 = f.encode(xor, "w", DType.F32, SHAPE, v2, Optional.of(e1));
            ParamEntry e3 = f.encode(xor, "w", DType.F32, SHAPE, v3, Optional.of(e1));
            List<ParamEntry> versions = List.of(e2, e0, e3, e1);
            for (int ahead : List.of(1, Ordered.WINDOW)) { // 3 chunks: one at a time, and all at once
                List<java.io.ByteArrayOutputStream> out = versions.stream()
                        .map(e -> new java.io.ByteArrayOutputStream())
                        .toList();
                new ParamDecoder(f.store)
                        .decodeTogether(
                                versions, ahead, (i, chunk) -> out.get(i).writeBytes(chunk));
                assertThat(out.stream().map(java.io.ByteArrayOutputStream::toByteArray))
                        .as("%d ahead", ahead)
                        .containsExactly(v2, v0, v3, v1);
            }
        }
    }

    @Test
    void valuesThatDoNotMatchTheChecksumFailNamingTheParameter() throws Exception {
        byte[] values = new byte[(int) DType.F32.byteSize(SHAPE.numel())];
        try (UpdateFixture f = new UpdateFixture()) {
            var header = new ObjectHeader(UpdateKind.DENSE.code(), DType.F32, SHAPE, List.of(), new byte[0]);
            var section =
                    new Section(values.length, 4, (off, dst, len) -> System.arraycopy(values, (int) off, dst, 0, len));
            ObjectId id = ObjectFormat.write(f.store, header, List.of(section), 12345, Codec.ZSTD);
            ParamEntry e = new ParamEntry(
                    "layer.w",
                    DType.F32,
                    SHAPE,
                    "00".repeat(32),
                    "dense",
                    List.of(new ObjectRef(id, f.store.size(id))));
            try (InputStream in = new ParamDecoder(f.store).open(e)) {
                assertThatThrownBy(in::readAllBytes)
                        .isInstanceOf(CorruptObjectException.class)
                        .hasMessageContaining("'layer.w'")
                        .hasMessageContaining(id.hex());
            }
            MemorySegment into = MemorySegment.ofArray(new byte[values.length]);
            assertThatThrownBy(() -> new ParamDecoder(f.store).decode(e, into))
                    .isInstanceOf(CorruptObjectException.class);
        }
    }
}
