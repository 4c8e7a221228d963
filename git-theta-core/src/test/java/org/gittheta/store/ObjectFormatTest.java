package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.FileTrees;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectFormatTest {
    static ObjectId store(ObjectStore store, byte[] values, DType dtype, Codec codec) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(values);
        ObjectHeader header =
                new ObjectHeader(0, dtype, Shape.of(values.length / dtype.byteWidth()), List.of(), new byte[] {1, 2});
        Section section = new Section(
                values.length, dtype.byteWidth(), (off, dst, len) -> System.arraycopy(values, (int) off, dst, 0, len));
        return ObjectFormat.write(store, header, List.of(section), (int) crc.getValue(), codec);
    }

    static byte[] read(ObjectStore store, ObjectId id) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            ObjectFormat.Reader r = ObjectFormat.Reader.open(store, id, arena);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            r.readSection(0, (data, len) -> out.write(data, 0, len));
            return out.toByteArray();
        }
    }

    /** Bytes that look like float weights: one exponent range, random mantissas, so shuffling pays. */
    static byte[] weightLike(int n, long seed) {
        Random rnd = new Random(seed);
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat((float) (0.02 * rnd.nextGaussian()));
        return b.array();
    }

    // jqwik runs properties of top-level classes only, not of JUnit @Nested ones
    @Property(tries = 60)
    void anyBytesOfAnyWidthRoundTripThroughEveryCodec(
            @ForAll("values") byte[] values, @ForAll DType dtype, @ForAll Codec codec) throws IOException {
        Path dir = Files.createTempDirectory("store");
        try {
            ObjectStore store = new ObjectStore(dir);
            int width = dtype.byteWidth();
            byte[] whole = java.util.Arrays.copyOf(values, values.length / width * width);
            ObjectId id = store(store, whole, dtype, codec);
            assertThat(read(store, id)).isEqualTo(whole);
            store.verify(id);
        } finally {
            FileTrees.delete(dir);
        }
    }

    @Provide
    Arbitrary<byte[]> values() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(5000),
                Arbitraries.longs().map(seed -> weightLike(1000 + (int) Math.floorMod(seed, 4000), seed)));
    }

    @Nested
    class RoundTrip {
        @Test
        void valuesLargerThanOneChunkRoundTripAndCompress(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            byte[] values = weightLike(700_000, 1); // 2.8 MB: three chunks
            ObjectId id = store(store, values, DType.F32, Codec.ZSTD);
            assertThat(read(store, id)).isEqualTo(values);
            assertThat(store.size(id)).isLessThan(values.length);
        }

        @Test
        void incompressibleChunksAreStoredRaw(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            byte[] noise = new byte[100_000];
            new Random(3).nextBytes(noise);
            ObjectId id = store(store, noise, DType.U8, Codec.ZSTD);
            assertThat(store.size(id)).isLessThan(noise.length + 200);
            assertThat(read(store, id)).isEqualTo(noise);
        }

        @Test
        void theSameValuesGiveTheSameObject(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            byte[] values = weightLike(1000, 5);
            assertThat(store(store, values, DType.F32, Codec.ZSTD))
                    .isEqualTo(store(store, values, DType.F32, Codec.ZSTD));
        }

        @Test
        void headerFieldsComeBack(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            ObjectId base = store(store, weightLike(10, 1), DType.F32, Codec.RAW);
            ObjectHeader h = new ObjectHeader(3, DType.BF16, Shape.of(2, 3, 0), List.of(base), new byte[] {9});
            ObjectId id = ObjectFormat.write(store, h, List.of(), 42, Codec.LZ4);
            try (Arena arena = Arena.ofConfined()) {
                ObjectFormat.Reader r = ObjectFormat.Reader.open(store, id, arena);
                assertThat(r.header().kind()).isEqualTo(3);
                assertThat(r.header().dtype()).isEqualTo(DType.BF16);
                assertThat(r.header().shape()).isEqualTo(Shape.of(2, 3, 0));
                assertThat(r.header().bases()).containsExactly(base);
                assertThat(r.header().params()).containsExactly(9);
                assertThat(r.valuesCrc()).isEqualTo(42);
                assertThat(r.sectionCount()).isZero();
            }
        }
    }

    @Nested
    class Damage {
        @Test
        void aFlippedByteIsReportedAsCorrupt(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            ObjectId id = store(store, weightLike(5000, 2), DType.F32, Codec.ZSTD);
            try (RandomAccessFile f = new RandomAccessFile(store.pathOf(id).toFile(), "rw")) {
                f.seek(f.length() / 2);
                int b = f.read();
                f.seek(f.length() / 2);
                f.write(b ^ 0x10);
            }
            assertThatThrownBy(() -> read(store, id))
                    .isInstanceOf(CorruptObjectException.class)
                    .hasMessageContaining(id.hex())
                    .hasMessageContaining("checksum");
            assertThatThrownBy(() -> store.verify(id)).isInstanceOf(CorruptObjectException.class);
        }

        @Test
        void anUnknownVersionIsRejectedByNumber(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            ObjectId id = store(store, weightLike(10, 2), DType.F32, Codec.RAW);
            try (RandomAccessFile f = new RandomAccessFile(store.pathOf(id).toFile(), "rw")) {
                f.seek(8);
                f.write(7);
            }
            assertThatThrownBy(() -> read(store, id)).hasMessageContaining("version 7");
        }

        @Test
        void notAnObjectAtAll(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            ObjectId id = store.write(out -> out.write("hello".getBytes()));
            assertThatThrownBy(() -> read(store, id)).hasMessageContaining("not a git-theta object");
        }

        @Test
        void aMissingObjectNamesItself(@TempDir Path dir) {
            ObjectStore store = new ObjectStore(dir);
            ObjectId id = new ObjectId("ab".repeat(32));
            assertThatThrownBy(() -> read(store, id))
                    .isInstanceOf(MissingObjectException.class)
                    .hasMessageContaining(id.hex());
        }
    }

    @Nested
    class Store {
        @Test
        void objectsLiveInTheGitLfsLayoutAndNoTemporaryFileStays(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            ObjectId id = store.write(out -> out.write("abc".getBytes()));
            assertThat(id.hex()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            assertThat(dir.resolve("objects/ba/78/" + id.hex())).hasContent("abc");
            try (var s = Files.list(dir.resolve("tmp"))) {
                assertThat(s.toList()).isEmpty();
            }
        }

        @Test
        void aFailedWriteLeavesNothing(@TempDir Path dir) throws IOException {
            ObjectStore store = new ObjectStore(dir);
            assertThatThrownBy(() -> store.write(out -> {
                        out.write(new byte[1000]);
                        throw new IOException("disk on fire");
                    }))
                    .hasMessage("disk on fire");
            assertThat(StoreFiles.filesBelow(dir)).isEmpty();
        }

        @Test
        void putChecksTheHash(@TempDir Path dir) {
            ObjectStore store = new ObjectStore(dir);
            ObjectId claimed = new ObjectId("ab".repeat(32));
            assertThatThrownBy(() -> store.put(claimed, new java.io.ByteArrayInputStream("abc".getBytes())))
                    .isInstanceOf(CorruptObjectException.class);
            assertThat(store.contains(claimed)).isFalse();
        }
    }
}
