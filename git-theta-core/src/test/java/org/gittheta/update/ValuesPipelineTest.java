package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

/** The checkout's decoder: many parameters as one ordered stream of chunks, decoded ahead across parameters. */
class ValuesPipelineTest {
    // 2.5 MiB of bf16: three chunks, the last one partial
    private static final Shape BIG = Shape.of(1280, 1024);

    @Test
    void everyKindOfChainDecodesToTheSameBytesAsAlone() throws Exception {
        SplittableRandom rnd = new SplittableRandom(11);
        try (UpdateFixture f = new UpdateFixture()) {
            Map<ParamEntry, byte[]> expected = new LinkedHashMap<>();
            byte[] base = UpdateFixture.randomValues(DType.BF16, BIG.numel(), rnd);
            ParamEntry dense = f.encode(UpdateOptions.auto(), "dense", DType.BF16, BIG, base, Optional.empty());
            expected.put(dense, base);
            for (UpdateKind kind :
                    List.of(UpdateKind.SPARSE, UpdateKind.XOR_DELTA, UpdateKind.LOW_RANK, UpdateKind.IA3)) {
                byte[] next = base.clone();
                for (int i = kind.ordinal(); i < next.length; i += 2 * (kind.ordinal() + 7)) next[i] ^= 3;
                ParamEntry e =
                        f.encode(UpdateFixture.forced(kind), kind.label(), DType.BF16, BIG, next, Optional.of(dense));
                assertThat(e.objects()).hasSizeGreaterThan(1);
                expected.put(e, next);
            }
            // a chain of deltas over deltas, a small parameter of one partial chunk, and one without values
            byte[] v1 = base.clone(), v2 = base.clone();
            for (int i = 0; i < v1.length; i += 5003) v1[i] ^= 1;
            for (int i = 0; i < v2.length; i += 3) v2[i] = v1[i];
            for (int i = 1; i < v2.length; i += 7) v2[i] ^= 2;
            ParamEntry e1 =
                    f.encode(UpdateFixture.forced(UpdateKind.SPARSE), "chain", DType.BF16, BIG, v1, Optional.of(dense));
            ParamEntry e2 =
                    f.encode(UpdateFixture.forced(UpdateKind.XOR_DELTA), "chain", DType.BF16, BIG, v2, Optional.of(e1));
            assertThat(e2.objects()).hasSize(3);
            expected.put(e2, v2);
            byte[] small = UpdateFixture.randomValues(DType.F32, 1000, rnd);
            expected.put(
                    f.encode(UpdateOptions.auto(), "small", DType.F32, Shape.of(1000), small, Optional.empty()), small);
            expected.put(
                    f.encode(UpdateOptions.auto(), "empty", DType.F32, Shape.of(0), new byte[0], Optional.empty()),
                    new byte[0]);

            List<ParamEntry> params = new ArrayList<>(expected.keySet());
            List<byte[]> decoded = decodeAll(f, params);
            for (int p = 0; p < params.size(); p++) {
                assertThat(decoded.get(p)).as(params.get(p).name()).isEqualTo(expected.get(params.get(p)));
                assertThat(decoded.get(p)).isEqualTo(f.decode(params.get(p)));
            }
        }
    }

    @Test
    void stackedXorDeltasDecodeTogetherToTheSameBytes() throws Exception {
        SplittableRandom rnd = new SplittableRandom(5);
        try (UpdateFixture f = new UpdateFixture()) {
            Map<ParamEntry, byte[]> expected = new LinkedHashMap<>();
            for (DType t : List.of(DType.BF16, DType.F32)) {
                long numel = BIG.numel() / (t.byteSize(1) / 2);
                Shape shape = Shape.of(numel);
                byte[] v = UpdateFixture.randomValues(t, numel, rnd);
                ParamEntry e = f.encode(UpdateOptions.auto(), t + "-xor", t, shape, v, Optional.empty());
                // XOR, XOR whose first chunk is random (stored raw, unshuffled), sparse, XOR, XOR over the sparse
                for (int step = 0; step < 5; step++) {
                    v = v.clone();
                    for (int i = step; i < v.length; i += 97 + step) v[i] ^= (byte) (1 + step);
                    if (step == 1) {
                        byte[] noise = UpdateFixture.randomValues(t, (1 << 20) / t.byteSize(1), rnd);
                        System.arraycopy(noise, 0, v, 0, noise.length);
                    }
                    UpdateKind kind = step == 2 ? UpdateKind.SPARSE : UpdateKind.XOR_DELTA;
                    e = f.encode(UpdateFixture.forced(kind), t + "-xor", t, shape, v, Optional.of(e));
                    expected.put(e, v);
                }
                assertThat(e.objects()).hasSize(6);
            }
            List<ParamEntry> params = new ArrayList<>(expected.keySet());
            List<byte[]> decoded = decodeAll(f, params);
            for (int p = 0; p < params.size(); p++) {
                assertThat(decoded.get(p)).as(params.get(p).name() + " " + p).isEqualTo(expected.get(params.get(p)));
                assertThat(f.decode(params.get(p))).isEqualTo(expected.get(params.get(p)));
            }
        }
    }

    @Test
    void aCorruptObjectInTheMiddleFailsNamingItsParameterAfterTheOnesBefore() throws Exception {
        SplittableRandom rnd = new SplittableRandom(12);
        try (UpdateFixture f = new UpdateFixture()) {
            List<ParamEntry> params = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                byte[] v = UpdateFixture.randomValues(DType.BF16, BIG.numel(), rnd);
                params.add(f.encode(UpdateOptions.auto(), name, DType.BF16, BIG, v, Optional.empty()));
            }
            var middle = f.store.pathOf(params.get(1).object().id());
            try (FileChannel ch = FileChannel.open(middle, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                var one = java.nio.ByteBuffer.allocate(1);
                ch.read(one, ch.size() / 2);
                one.flip().put(0, (byte) (one.get(0) ^ 0x40));
                ch.write(one, ch.size() / 2);
            }
            ByteArrayOutputStream before = new ByteArrayOutputStream();
            try (ValuesPipeline values = ValuesPipeline.open(f.store, params)) {
                assertThatThrownBy(() -> {
                            for (var c = values.next(); c != null; c = values.next()) {
                                if (c.param() == 0) before.write(c.data(), 0, c.length());
                                values.recycle(c);
                            }
                        })
                        .isInstanceOf(IOException.class)
                        .hasMessageStartingWith("parameter 'b': ")
                        .hasMessageContaining("is corrupt")
                        .hasMessageNotContaining("\n");
            }
            assertThat(before.toByteArray()).isEqualTo(f.decode(params.get(0)));
        }
    }

    @Test
    void aManifestHashThatIsNotTheValuesFails() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v = UpdateFixture.randomValues(DType.BF16, BIG.numel(), new SplittableRandom(13));
            ParamEntry real = f.encode(UpdateOptions.auto(), "w", DType.BF16, BIG, v, Optional.empty());
            ParamEntry edited = new ParamEntry(
                    real.name(), real.dtype(), real.shape(), "ab".repeat(32), real.update(), real.objects());
            assertThatThrownBy(() -> decodeAll(f, List.of(edited)))
                    .hasMessageStartingWith("parameter 'w': its objects decode to values of sha256 " + real.sha256())
                    .hasMessageEndingWith("not the manifest's " + "ab".repeat(32));
        }
    }

    @Test
    void valuesTheIndexVouchesForAreNotHashedAgainAndACheckedParameterIsRecorded() throws Exception {
        SplittableRandom rnd = new SplittableRandom(14);
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v = bf16(rnd);
            ParamEntry real = f.encode(UpdateOptions.auto(), "v", DType.BF16, BIG, v, Optional.empty());
            ParamEntry elsewhere = f.encode(UpdateOptions.auto(), "w", DType.BF16, BIG, bf16(rnd), Optional.empty());
            ValueIndex index = new ValueIndex(f.store);
            assertThat(index.holds(real)).as("hashed when encoded").isTrue();

            // what is trusted is the index: an entry forged into it lets another hash through, for those objects only
            String claim = "cd".repeat(32);
            ParamEntry forged = new ParamEntry("v", DType.BF16, BIG, claim, real.update(), real.objects());
            index.record(forged);
            assertThat(decodeAll(f, List.of(forged)).getFirst()).isEqualTo(v);
            ParamEntry otherObjects = new ParamEntry("w", DType.BF16, BIG, claim, real.update(), elsewhere.objects());
            assertThatThrownBy(() -> decodeAll(f, List.of(otherObjects)))
                    .hasMessageEndingWith("not the manifest's " + claim);

            try (var files = Files.walk(f.store.valuesDir())) {
                for (Path file : files.filter(Files::isRegularFile).toList()) Files.delete(file);
            }
            assertThat(index.holds(real)).isFalse();
            assertThat(decodeAll(f, List.of(real)).getFirst()).isEqualTo(v);
            assertThat(index.holds(real)).as("checked by the checkout").isTrue();
        }
    }

    @Test
    void anIndexEntryThatCannotBeReadVouchesForNothing() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] v = bf16(new SplittableRandom(16));
            ParamEntry real = f.encode(UpdateOptions.auto(), "v", DType.BF16, BIG, v, Optional.empty());
            List<Path> entries;
            try (var files = Files.walk(f.store.valuesDir())) {
                entries = files.filter(Files::isRegularFile).toList();
            }
            assertThat(entries).hasSize(1);
            Files.delete(entries.getFirst());
            Files.createDirectory(entries.getFirst()); // reading it fails
            assertThat(new ValueIndex(f.store).holds(real)).isFalse();
            assertThat(decodeAll(f, List.of(real)).getFirst()).isEqualTo(v);
        }
    }

    @Test
    void aPreviousVersionsClaimThatTheCleanReusesIsStillCheckedAtCheckout() throws Exception {
        SplittableRandom rnd = new SplittableRandom(15);
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry real = f.encode(UpdateOptions.auto(), "p", DType.BF16, BIG, bf16(rnd), Optional.empty());
            byte[] w = bf16(rnd);
            // a manifest from elsewhere says that real's objects hold w
            String wHash = ValuesDigest.of(MemorySegment.ofArray(w)).sha256();
            ParamEntry lie = new ParamEntry("p", DType.BF16, BIG, wHash, real.update(), real.objects());
            assertThat(f.encode(UpdateOptions.auto(), "p", DType.BF16, BIG, w, Optional.of(lie)))
                    .as("the clean takes the previous version's word for values it has not changed")
                    .isEqualTo(lie);
            assertThat(new ValueIndex(f.store).holds(lie)).isFalse();
            assertThatThrownBy(() -> decodeAll(f, List.of(lie))).hasMessageEndingWith("not the manifest's " + wHash);
        }
    }

    private static byte[] bf16(SplittableRandom rnd) {
        return UpdateFixture.randomValues(DType.BF16, BIG.numel(), rnd);
    }

    private static List<byte[]> decodeAll(UpdateFixture f, List<ParamEntry> params) throws IOException {
        List<ByteArrayOutputStream> outs = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) outs.add(new ByteArrayOutputStream());
        try (ValuesPipeline values = ValuesPipeline.open(f.store, params)) {
            int last = 0;
            for (var c = values.next(); c != null; c = values.next()) {
                assertThat(c.param()).isBetween(last, last + 1); // in order
                assertThat(c.offset()).isEqualTo(outs.get(c.param()).size());
                outs.get(c.param()).write(c.data(), 0, c.length());
                last = c.param();
                values.recycle(c);
            }
        }
        return outs.stream().map(ByteArrayOutputStream::toByteArray).toList();
    }
}
