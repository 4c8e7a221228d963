package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.gittheta.fuzz.FuzzLoop;
import org.gittheta.fuzz.Mutator;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated objects (half of them with the whole-object checksum recomputed, so that mutations reach the header
 * and chunk parsing behind it) give a CorruptObjectException or decode to sections of their stated length;
 * mutated compressed chunks give Codec's IllegalArgumentException.
 */
class ObjectFormatFuzzTest {
    static final int MUTATED_OBJECTS = 5_000;
    static final int RANDOM_OBJECTS = 4_000;
    static final int MUTATED_OBJECTS_FROM_THE_STORE = 100;
    static final int MUTATED_CHUNKS = 6_000;
    private static final ObjectId FUZZ_ID = new ObjectId("f".repeat(64));

    @TempDir
    static Path dir;

    private static ObjectStore store;
    private static List<byte[]> corpus;

    @BeforeAll
    static void writeValidObjects() throws IOException {
        store = new ObjectStore(dir);
        corpus = validObjects(store);
    }

    /** Objects of every codec, several sections, bases and kind parameters, some with compressible values. */
    private static List<byte[]> validObjects(ObjectStore store) throws IOException {
        Random random = new Random(11);
        List<byte[]> objects = new ArrayList<>();
        for (int o = 0; o < 12; o++) {
            Codec codec = Codec.values()[o % Codec.values().length];
            DType dtype = o % 2 == 0 ? DType.F32 : DType.BF16;
            List<Section> sections = new ArrayList<>();
            for (int s = 0; s <= o % 3; s++) {
                byte[] values = new byte[dtype.byteWidth() * random.nextInt(600)];
                if (o % 4 != 3) random.nextBytes(values); // every fourth object compresses well: zeros
                sections.add(new Section(
                        values.length,
                        dtype.byteWidth(),
                        (off, dst, len) -> System.arraycopy(values, (int) off, dst, 0, len)));
            }
            List<ObjectId> bases = o % 5 == 0 ? List.of(FUZZ_ID) : List.of();
            ObjectHeader header =
                    new ObjectHeader(o % 4, dtype, Shape.of(random.nextInt(30), 3), bases, new byte[o % 7]);
            ObjectId id = ObjectFormat.write(store, header, sections, random.nextInt(), codec);
            objects.add(Files.readAllBytes(store.pathOf(id)));
        }
        return objects;
    }

    private static byte[] withChecksum(byte[] object) {
        if (object.length < 14) return object;
        CRC32C crc = new CRC32C();
        crc.update(object, 0, object.length - 4);
        byte[] fixed = object.clone();
        ByteBuffer.wrap(fixed).order(ByteOrder.LITTLE_ENDIAN).putInt(fixed.length - 4, (int) crc.getValue());
        return fixed;
    }

    /** Stores the bytes as an object, opens it from the store and decodes every section. */
    private static void open(ObjectStore store, byte[] bytes) throws IOException {
        Path path = store.pathOf(FUZZ_ID);
        Files.createDirectories(path.getParent());
        Files.write(path, bytes);
        try (Arena arena = Arena.ofShared()) {
            decodeAll(ObjectFormat.Reader.open(store, FUZZ_ID, arena));
        }
    }

    /**
     * Parses the bytes as an object in memory and decodes every chunk in this thread: the same parsing and decoding
     * as from the store, without the file, the shared arena and the thread pool, which cost milliseconds per input.
     */
    private static void parse(byte[] bytes) throws IOException {
        ObjectFormat.Reader r = new ObjectFormat.Reader(FUZZ_ID, MemorySegment.ofArray(bytes));
        for (int s = 0; s < r.sectionCount(); s++) {
            long decoded = 0;
            for (int c = 0; c < r.chunks(s); c++) decoded += r.readChunk(s, c).length;
            assertThat(decoded).isEqualTo(r.sectionLength(s));
        }
    }

    private static void decodeAll(ObjectFormat.Reader r) throws IOException {
        for (int s = 0; s < r.sectionCount(); s++) {
            long[] decoded = {0};
            r.readSection(s, (data, len) -> decoded[0] += len);
            assertThat(decoded[0]).isEqualTo(r.sectionLength(s));
        }
    }

    @Test
    void mutatedObjectsAreReadOrRefused() throws IOException {
        Mutator mutator = new Mutator(21);
        FuzzLoop.run(
                MUTATED_OBJECTS,
                () -> {
                    byte[] mutated = mutator.mutate(corpus);
                    return mutator.random().nextBoolean() ? withChecksum(mutated) : mutated;
                },
                CorruptObjectException.class,
                ObjectFormatFuzzTest::parse);
    }

    @Test
    void randomObjectsAreRefused() throws IOException {
        Mutator mutator = new Mutator(22);
        FuzzLoop.run(
                RANDOM_OBJECTS,
                () -> withChecksum(mutator.noise(corpus, 200)),
                CorruptObjectException.class,
                ObjectFormatFuzzTest::parse);
    }

    @Test
    void mutatedObjectsAreReadOrRefusedFromTheStore() throws IOException {
        Mutator mutator = new Mutator(25);
        FuzzLoop.run(
                MUTATED_OBJECTS_FROM_THE_STORE,
                () -> withChecksum(mutator.mutate(corpus)),
                CorruptObjectException.class,
                bytes -> open(store, bytes));
    }

    @Test
    void mutatedChunksDecodeToTheirLengthOrAreRefused() {
        Random random = new Random(23);
        List<byte[]> chunks = new ArrayList<>();
        List<Codec> codecs = new ArrayList<>();
        for (int c = 0; c < 30; c++) {
            byte[] raw = ObjectFormatTest.weightLike(1 + random.nextInt(300), c);
            if (c % 3 == 0) Arrays.fill(raw, raw.length / 2, raw.length, (byte) 0);
            Codec.Chunk chunk = Codec.values()[c % 3].encode(raw, raw.length, 4);
            chunks.add(Arrays.copyOf(chunk.data(), chunk.length()));
            codecs.add(chunk.codec());
        }
        Mutator mutator = new Mutator(24);
        FuzzLoop.run(MUTATED_CHUNKS, () -> mutator.mutate(chunks), IllegalArgumentException.class, stored -> {
            Codec codec = codecs.get(random.nextInt(codecs.size()));
            int rawLen = random.nextInt(1300);
            byte[] out = new byte[rawLen];
            codec.decode(stored, stored.length, out, rawLen, 1 + random.nextInt(8));
        });
    }

    @Test
    void aSectionLengthNeedingMoreChunksThanTheObjectHoldsIsRefusedBeforeAllocating() throws IOException {
        // Regression: a length of 2^62 made chunkCount throw ArithmeticException, and 2^40 sized arrays by it.
        byte[] valid = corpus.getFirst();
        for (long length : new long[] {1L << 62, 1L << 40, Long.MAX_VALUE}) {
            byte[] object = valid.clone();
            int sectionStart = sectionOffset(valid);
            ByteBuffer.wrap(object).order(ByteOrder.LITTLE_ENDIAN).putLong(sectionStart, length);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> open(store, withChecksum(object)))
                    .isInstanceOf(CorruptObjectException.class)
                    .hasMessageContaining("more than the rest of the object can hold");
        }
    }

    @Test
    void aZstdFrameWithAnUnknownDescriptorIsRefusedAsCorrupt() {
        // Regression: zstd-jni threw ZstdException ("Unknown frame descriptor") past Codec.decode.
        byte[] stored = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, (byte) 0xff, 0, 0, 0, 0, 0};
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> Codec.ZSTD.decode(stored, stored.length, new byte[16], 16, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("zstd chunk does not decode");
        byte[] garbage = java.util.HexFormat.of().parseHex("d181963ce8f0963cee7f37bb428c22bd");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> Codec.ZSTD.decode(garbage, garbage.length, new byte[64], 64, 4))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lz4ChunksThatReachOutsideTheirBuffersAreRefused() {
        // Decoded with LZ4's safe decompressor: the fast one trusts the block and may read past it.
        byte[] matchBeforeStart = {0x1f, 'a', (byte) 0xff, (byte) 0xff, 0};
        byte[] literalsPastTheEnd = {(byte) 0xf0, (byte) 0xff, (byte) 0xff, 'a'};
        for (byte[] stored : List.of(matchBeforeStart, literalsPastTheEnd)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> Codec.LZ4.decode(stored, stored.length, new byte[64], 64, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("lz4 chunk");
        }
    }

    @Test
    void aSectionOfElementWidthZeroIsRefused() throws IOException {
        byte[] object = corpus.getFirst().clone();
        object[sectionOffset(object) + 8] = 0;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> open(store, withChecksum(object)))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("element width 0");
    }

    /** Where the first section's u64 length is in the first valid object (F32, rank 2, no bases, no params). */
    private static int sectionOffset(byte[] object) {
        int rank = object[12];
        int p = 13 + 8 * rank;
        int nbases = object[p++];
        p += 32 * nbases;
        int nparams = (object[p] & 0xff) | (object[p + 1] & 0xff) << 8;
        return p + 2 + nparams + 1;
    }
}
