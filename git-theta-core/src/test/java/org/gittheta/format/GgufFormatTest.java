package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.gittheta.format.GgufFiles.ARRAY;
import static org.gittheta.format.GgufFiles.F32;
import static org.gittheta.format.GgufFiles.I32;
import static org.gittheta.format.GgufFiles.STRING;
import static org.gittheta.format.GgufFiles.U8;
import static org.gittheta.testdata.TestCheckpoints.rebuild;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.gittheta.format.GgufFiles.Tensor;
import org.gittheta.format.GgufFiles.Value;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GgufFormatTest {
    private static final String FILE = "models/bad.gguf";
    private static final GgufFormat FORMAT = GgufFormat.INSTANCE;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = GgufFormatTest.class.getResourceAsStream("/testdata/" + name)) {
            return in.readAllBytes();
        }
    }

    /**
     * Reads {@code file} every way the filters do and checks that they agree: whole-file read, byte-exact rebuild,
     * layout from the full skeleton and from the header prefix alone, the prefix length from any prefix that
     * holds the header, and the stream read that stops at the data section.
     */
    static CheckpointLayout readAndRoundTrip(byte[] file) throws IOException {
        CheckpointLayout layout = FORMAT.read("ok.gguf", MemorySegment.ofArray(file));
        assertThat(layout.format()).isEqualTo("gguf");
        assertThat(layout.fileSize()).isEqualTo(file.length);
        assertThat(rebuild(layout, file)).isEqualTo(file);
        assertThat(FORMAT.fromSkeleton("ok.gguf", layout.skeleton())).isEqualTo(layout);

        ByteArrayInputStream stream = new ByteArrayInputStream(file);
        byte[] prefix = FORMAT.readSkeletonPrefix("ok.gguf", stream);
        long dataStart = prefix.length;
        assertThat(prefix).isEqualTo(Arrays.copyOf(file, prefix.length));
        assertThat(stream.available())
                .as("the stream stops at the data section")
                .isEqualTo(file.length - prefix.length);
        assertThat(layout.tensors()).allSatisfy(t -> assertThat(t.offset()).isGreaterThanOrEqualTo(dataStart));
        for (int n : new int[] {(int) dataStart, (int) dataStart + 1, file.length}) {
            if (n > file.length) continue;
            assertThat(FORMAT.skeletonLength(
                            "ok.gguf", MemorySegment.ofArray(file).asSlice(0, n)))
                    .isEqualTo(dataStart);
        }
        if (isZeroPadded(layout, dataStart))
            assertThat(FORMAT.fromSkeleton("ok.gguf", prefix)).isEqualTo(layout);
        return layout;
    }

    private static boolean isZeroPadded(CheckpointLayout layout, long dataStart) {
        byte[] skeleton = layout.skeleton();
        for (int i = (int) dataStart; i < skeleton.length; i++) if (skeleton[i] != 0) return false;
        return true;
    }

    static void assertRejected(byte[] file, String tensor, String... fragments) {
        assertThatThrownBy(() -> FORMAT.read(FILE, MemorySegment.ofArray(file)))
                .isInstanceOf(BadCheckpointException.class)
                .satisfies(e -> {
                    BadCheckpointException bad = (BadCheckpointException) e;
                    assertThat(bad.getMessage())
                            .startsWith(FILE + ": ")
                            .contains(fragments)
                            .doesNotContain("\n");
                    assertThat(bad.tensor()).isEqualTo(Optional.ofNullable(tensor));
                });
    }

    /** A header problem: the file, its prefix as a skeleton and the stream are all refused alike. */
    static void assertHeaderRejected(byte[] file, String tensor, String... fragments) {
        assertRejected(file, tensor, fragments);
        // what the clean filter does with a stream
        assertThatThrownBy(() ->
                        FORMAT.fromSkeleton(FILE, FORMAT.readSkeletonPrefix(FILE, new ByteArrayInputStream(file))))
                .isInstanceOf(BadCheckpointException.class)
                .hasMessageStartingWith(FILE + ": ")
                .hasMessageContainingAll(fragments);
    }

    @Nested
    class ReferenceFiles {
        @ParameterizedTest
        @CsvSource({"gguf-mixed.gguf, 32", "gguf-align64.gguf, 64"})
        void tensorsNamesTypesShapesAndSizesAsGgufPyWroteThem(String name, long alignment) throws IOException {
            byte[] file = resource(name);
            CheckpointLayout layout = readAndRoundTrip(file);
            assertThat(layout.tensors())
                    .extracting(TensorSlot::name, TensorSlot::dtype, TensorSlot::shape, TensorSlot::length)
                    .containsExactly(
                            tuple("token_embd.weight", DType.F32, Shape.of(8, 32), 1024L),
                            tuple("blk.0.attn_norm.weight", DType.F16, Shape.of(32), 64L),
                            tuple("blk.0.attn_q.weight", DType.Q8_0, Shape.of(4, 64), 8 * 34L),
                            tuple("blk.0.ffn_up.weight", DType.Q4_0, Shape.of(4, 64), 8 * 18L));
            long dataStart = layout.tensors().getFirst().offset();
            assertThat(dataStart % alignment).isZero();
            assertThat(layout.tensors())
                    .allSatisfy(t ->
                            assertThat((t.offset() - dataStart) % alignment).isZero());
            // the padding after the Q8_0 and Q4_0 tensors is part of the skeleton
            assertThat(layout.skeletonLength()).isEqualTo(file.length - (1024 + 64 + 272 + 144));
            assertThat(file.length - layout.tensors().getLast().end())
                    .isPositive()
                    .isLessThan(alignment);
        }

        /**
         * A tensor count too large: a whole file is refused by its size; a stream (what clean reads) reads tensor
         * infos past the real ones, from padding and data, and the error names the count that led there.
         */
        @Test
        void aTensorCountLargerThanTheTensorInfosSaysWhichInfoOfHowMany() throws IOException {
            byte[] file = resource("gguf-mixed.gguf");
            ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1000);
            assertRejected(file, null, "the header claims 1000 tensors");
            assertThatThrownBy(() -> FORMAT.readSkeletonPrefix(FILE, new ByteArrayInputStream(file)))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageStartingWith(FILE + ": ")
                    .hasMessageEndingWith(" (tensor info 5 of the 1000 the header counts)");
        }

        @Test
        void everyPrefixShorterThanTheHeaderIsRefusedAsTruncated() throws IOException {
            byte[] file = resource("gguf-mixed.gguf");
            long dataStart = FORMAT.skeletonLength("ok.gguf", MemorySegment.ofArray(file));
            for (int n = 0; n < dataStart; n++) {
                byte[] cut = Arrays.copyOf(file, n);
                long end = n;
                assertThatThrownBy(() -> FORMAT.readSkeletonPrefix(FILE, new ByteArrayInputStream(cut)))
                        .as("cut at %d", end)
                        .isInstanceOf(BadCheckpointException.class)
                        .hasMessageStartingWith(FILE + ": truncated: ");
                assertThatThrownBy(() -> FORMAT.fromSkeleton(FILE, cut))
                        .as("cut at %d", end)
                        .isInstanceOf(BadCheckpointException.class);
            }
        }

        @Test
        void everyCutOfTheFileIsRefused() throws IOException {
            byte[] file = resource("gguf-align64.gguf");
            for (int n = 0; n < file.length; n++) {
                byte[] cut = Arrays.copyOf(file, n);
                assertThatThrownBy(() -> FORMAT.read(FILE, MemorySegment.ofArray(cut)))
                        .as("cut at %d", n)
                        .isInstanceOf(BadCheckpointException.class)
                        .satisfies(e ->
                                assertThat(e.getMessage()).containsAnyOf("truncated", "runs past the end of the file"));
            }
        }

        @Test
        void theFormatIsFoundByNameAndMagic() throws IOException {
            assertThat(Formats.byName("gguf")).containsSame(FORMAT);
            assertThat(Formats.detect(MemorySegment.ofArray(resource("gguf-mixed.gguf"))))
                    .containsSame(FORMAT);
            assertThat(GgufFormat.hasMagic(resource("gguf-mixed.gguf"))).isTrue();
            assertThat(GgufFormat.hasMagic("GGU".getBytes())).isFalse();
            assertThat(GgufFormat.hasMagic("GGML....".getBytes())).isFalse();
        }
    }

    @Nested
    class GeneratedFiles {
        /** Every metadata value type, arrays of arrays, UTF-8 keys and strings. */
        private static GgufFiles.Builder everyValueType(GgufFiles.Builder b) {
            return b.kv("general.architecture", Value.string("llama"))
                    .kv("t.u8", Value.u8(255))
                    .kv("t.i8", Value.i8(-1))
                    .kv("t.u16", Value.u16(65535))
                    .kv("t.i16", Value.i16(-2))
                    .kv("t.u32", Value.u32(4_000_000_000L))
                    .kv("t.i32", Value.i32(-3))
                    .kv("t.f32", Value.f32(0.5f))
                    .kv("t.bool", Value.bool(true))
                    .kv("t.u64", Value.u64(-1L))
                    .kv("t.i64", Value.i64(Long.MIN_VALUE))
                    .kv("t.f64", Value.f64(Math.PI))
                    .kv("t.ünïcödé ✓", Value.string("héllo, 世界 🦙"))
                    .kv("t.empty", Value.string(""))
                    .kv("t.strings", Value.array(STRING, Value.string("<s>"), Value.string("ß"), Value.string("")))
                    .kv("t.f32s", Value.array(F32, Value.f32(1), Value.f32(-2)))
                    .kv("t.none", Value.array(I32))
                    .kv(
                            "t.nested",
                            Value.array(
                                    ARRAY,
                                    Value.array(U8, Value.u8(1), Value.u8(2)),
                                    Value.array(ARRAY, Value.array(STRING, Value.string("deep"))),
                                    Value.array(I32)));
        }

        @ParameterizedTest
        @CsvSource({"2, 1", "2, 32", "3, 8", "3, 32", "3, 64", "3, 4096"})
        void everyValueTypeAndTensorTypeRoundTrips(int version, long alignment) throws IOException {
            GgufFiles.Builder b = everyValueType(version == 2 ? GgufFiles.v2() : GgufFiles.v3());
            if (alignment != 32) b.alignment(alignment);
            List<DType> types =
                    Arrays.stream(DType.values()).filter(GgufFiles::isGgmlType).toList();
            for (DType t : types) b.tensor("blk." + t.name().toLowerCase() + ".weight", t, 256, 3);
            b.tensor("scalar", DType.F32).tensor("empty", DType.Q4_K, 0, 5).tensor("odd", DType.I8, 3);
            byte[] file = b.bytes();
            CheckpointLayout layout = readAndRoundTrip(file);
            assertThat(layout.tensors()).hasSize(types.size() + 3);
            for (DType t : types) {
                TensorSlot slot = layout.tensor("blk." + t.name().toLowerCase() + ".weight")
                        .orElseThrow();
                assertThat(slot.dtype()).isEqualTo(t);
                assertThat(slot.shape()).isEqualTo(Shape.of(3, 256));
                assertThat(slot.length()).isEqualTo(t.byteSize(768));
            }
            assertThat(layout.tensor("scalar").orElseThrow().shape()).isEqualTo(Shape.SCALAR);
            assertThat(layout.tensor("empty").orElseThrow().length()).isZero();
        }

        @Test
        void theQuantizedTypesAreTheOnesGgmlDefines() {
            assertThat(GgufFiles.ggmlType(DType.Q4_K)).isEqualTo(12);
            assertThat(GgufFiles.ggmlType(DType.BF16)).isEqualTo(30);
            assertThat(GgufFiles.ggmlType(DType.MXFP4)).isEqualTo(39);
            assertThat(Arrays.stream(DType.values()).filter(t -> t.kind() == DType.Kind.QUANTIZED))
                    .allSatisfy(t ->
                            assertThat(GgufHeader.dtype(GgufFiles.ggmlType(t))).contains(t));
        }

        @Test
        void noTensorsAtAll() throws IOException {
            CheckpointLayout layout =
                    readAndRoundTrip(everyValueType(GgufFiles.v3()).bytes());
            assertThat(layout.tensors()).isEmpty();
            assertThat(layout.skeletonLength()).isEqualTo(layout.fileSize());
        }

        @Test
        void tensorsInAnyOrderWithGapsAreRebuiltExactly() throws IOException {
            byte[] a = new byte[40];
            byte[] b = new byte[64];
            Arrays.fill(a, (byte) 1);
            Arrays.fill(b, (byte) 2);
            // b's data comes first; a leaves a 64-byte gap after b
            byte[] file = GgufFiles.v3()
                    .tensor(new Tensor("a", 0, new long[] {10}, 128L, new byte[0]))
                    .tensor(new Tensor("b", 0, new long[] {16}, 0L, new byte[0]))
                    .bytes();
            byte[] data = new byte[192];
            System.arraycopy(b, 0, data, 0, 64);
            System.arraycopy(a, 0, data, 128, 40);
            byte[] whole = Arrays.copyOf(file, file.length + data.length);
            System.arraycopy(data, 0, whole, file.length, data.length);
            CheckpointLayout layout = readAndRoundTrip(whole);
            assertThat(layout.tensors()).extracting(TensorSlot::name).containsExactly("b", "a");
            assertThat(layout.tensors().get(1).offset()).isEqualTo(file.length + 128L);
        }

        @Test
        void nonZeroPaddingIsKeptByTheFullSkeletonAndZeroedFromThePrefixAlone() throws IOException {
            byte[] file = GgufFiles.v3()
                    .padding(0x5a)
                    .tensor("w", DType.Q8_0, 32)
                    .tensor("v", DType.F16, 3)
                    .bytes();
            CheckpointLayout layout = readAndRoundTrip(file);
            assertThat(rebuild(layout, file)).isEqualTo(file);
            long dataStart = FORMAT.skeletonLength("ok.gguf", MemorySegment.ofArray(file));
            CheckpointLayout fromPrefix = FORMAT.fromSkeleton("ok.gguf", Arrays.copyOf(file, (int) dataStart));
            assertThat(fromPrefix.tensors()).isEqualTo(layout.tensors());
            assertThat(fromPrefix.fileSize()).isEqualTo(file.length);
            byte[] zeroed = rebuild(fromPrefix, file);
            assertThat(zeroed).hasSameSizeAs(file).isNotEqualTo(file);
            assertThat(Arrays.copyOfRange(zeroed, file.length - 26, file.length))
                    .containsOnly(0);
        }
    }

    @Nested
    class Refused {
        private static GgufFiles.Builder small() {
            return GgufFiles.v3()
                    .kv("general.architecture", Value.string("llama"))
                    .tensor("w", DType.F32, 8, 2)
                    .tensor("q", DType.Q4_0, 32);
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                value = {
                    "1          | GGUF version 1 is not supported (only 2 and 3)",
                    "4          | GGUF version 4 is not supported (only 2 and 3)",
                    "0          | GGUF version 0 is not supported",
                    "50331648   | GGUF version 3 in big-endian byte order is not supported",
                    "-1         | GGUF version 4294967295 is not supported"
                })
        void versionsOtherThanTwoAndThree(int version, String message) {
            assertHeaderRejected(small().version(version).bytes(), null, message);
        }

        @Test
        void notGguf() {
            byte[] file = small().bytes();
            file[3] = 'X';
            assertHeaderRejected(file, null, "not a GGUF file: it starts with 47475558, not the magic 'GGUF'");
        }

        @Test
        void countsThatCannotFit() {
            assertHeaderRejected(
                    small().tensorCount(1L << 40).bytes(),
                    null,
                    "the header claims 1099511627776 tensors, more than the");
            assertHeaderRejected(
                    small().entryCount(-1).bytes(), null, "the header claims 18446744073709551615 metadata entries");
        }

        @Test
        void countsOffByOne() {
            // the third tensor info is read from the data section: what it says is garbage, but it is refused
            assertHeaderRejected(small().tensorCount(3).bytes(), null, "");
            assertRejected(small().tensorCount(1).bytes(), null, "trailing data: the file is");
            // the second entry is read from the first tensor info, and the tensor infos from what follows
            assertHeaderRejected(small().entryCount(2).bytes(), null, "");
        }

        @Test
        void tensorOffsets() {
            assertRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {8}, 1L << 20, new byte[32]))
                            .bytes(),
                    "w",
                    "runs past the end of the file");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {8}, 16L, new byte[32]))
                            .bytes(),
                    "w",
                    "offset 16 in the data section is not a multiple of the alignment 32");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {8}, -32L, new byte[32]))
                            .bytes(),
                    "w",
                    "offset 18446744073709551584 in the data section overflows a file position");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor("a", DType.F32, 16)
                            .tensor(new Tensor("b", 0, new long[] {8}, 32L, new byte[32]))
                            .bytes(),
                    "b",
                    "data at offset 32 overlaps tensor 'a' (offset 0, 64 bytes)");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {1L << 61}, 0L, new byte[0]))
                            .bytes(),
                    "w",
                    "byte size of shape [2305843009213693952] of F32 overflows");
        }

        @Test
        void tensorTypesAndShapes() {
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 4, new long[] {32}, null, new byte[18]))
                            .bytes(),
                    "w",
                    "unknown ggml type 4");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 40, new long[] {32}, null, new byte[18]))
                            .bytes(),
                    "w",
                    "unknown ggml type 40");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 12, new long[] {100, 256}, null, new byte[0]))
                            .bytes(),
                    "w",
                    "rows of 100 elements are not whole 256-element blocks of Q4_K");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 8, new long[0], null, new byte[0]))
                            .bytes(),
                    "w",
                    "1 elements of Q8_0 are not a whole number of 32-element blocks");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {1, 1, 1, 1, 1}, null, new byte[4]))
                            .bytes(),
                    "w",
                    "has 5 dimensions, more than ggml's 4");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {-1}, null, new byte[4]))
                            .bytes(),
                    "w",
                    "dimension 0 is 18446744073709551615, more than 2^63 - 1");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor(new Tensor("w", 0, new long[] {1L << 40, 1L << 40}, null, new byte[0]))
                            .bytes(),
                    "w",
                    "element count overflows");
            assertHeaderRejected(
                    GgufFiles.v3()
                            .tensor("w", DType.F32, 8)
                            .tensor("w", DType.F32, 8)
                            .bytes(),
                    "w",
                    "appears twice in the header");
        }

        @Test
        void metadata() {
            assertHeaderRejected(
                    small().kv("general.architecture", Value.string("x")).bytes(),
                    null,
                    "metadata key 'general.architecture' appears twice");
            assertHeaderRejected(
                    small().kv("x", new Value(13, new byte[8])).bytes(), null, "metadata 'x': unknown value type 13");
            assertHeaderRejected(small().kv("x", Value.array(99)).bytes(), null, "metadata 'x': unknown value type 99");
            assertHeaderRejected(
                    small().kv("x", new Value(STRING, new byte[] {-1, -1, -1, -1, -1, -1, -1, 0x7f}))
                            .bytes(),
                    null,
                    "metadata 'x' at byte",
                    "needs 9223372036854775807 bytes");
            Value deep = Value.array(I32);
            for (int i = 0; i < 70; i++) deep = Value.array(ARRAY, deep);
            assertHeaderRejected(small().kv("x", deep).bytes(), null, "metadata 'x': arrays nested deeper than 64");
            byte[] badKey = small().kv("k\u00ff", Value.u8(1)).bytes();
            int at = indexOf(badKey, "k\u00ff".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            badKey[at + 1] = (byte) 0xff;
            assertHeaderRejected(badKey, null, "key of metadata entry 1 at byte", "is not valid UTF-8");
            assertHeaderRejected(
                    small().kv("a\nb", Value.u8(1)).bytes(),
                    null,
                    "key of metadata entry 1 at byte",
                    "contains the control character U+000A");
            assertHeaderRejected(
                    GgufFiles.v3().tensor("w\u0000", DType.F32, 1).bytes(),
                    null,
                    "name of tensor 0 at byte",
                    "contains the control character U+0000");
        }

        @Test
        void aStreamedHeaderLargerThanTheLimit() {
            // a 512 MiB string: the stream is refused before anything that large is read or allocated
            byte[] file = small().kv("x", new Value(STRING, new byte[] {0, 0, 0, 32, 0, 0, 0, 0}))
                    .bytes();
            assertThatThrownBy(() -> FORMAT.readSkeletonPrefix(FILE, new ByteArrayInputStream(file)))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining("metadata 'x' at byte")
                    .hasMessageEndingWith(
                            "needs 536870912 bytes: the header would exceed the limit of 268435456 bytes");
            assertRejected(file, null, "truncated: metadata 'x' at byte", "needs 536870912 bytes, only");
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 48, 3})
        void alignmentThatIsNotAPowerOfTwo(long alignment) {
            assertHeaderRejected(
                    GgufFiles.v3().kv("general.alignment", Value.u32(alignment)).bytes(),
                    null,
                    "metadata 'general.alignment' is " + alignment + ", not a power of two");
        }

        @Test
        void alignmentOfTheWrongType() {
            assertHeaderRejected(
                    GgufFiles.v3().kv("general.alignment", Value.u64(32)).bytes(),
                    null,
                    "metadata 'general.alignment' is of type u64, not u32");
        }

        @Test
        void anEndOtherThanTheLastTensorPaddedToTheAlignment() {
            byte[] file = small().bytes();
            assertRejected(
                    Arrays.copyOf(file, file.length + 32),
                    null,
                    "trailing data: the file is "
                            + (file.length + 32)
                            + " bytes, but its header puts the end at " + file.length);
            assertRejected(Arrays.copyOf(file, file.length - 14), null, "truncated: the file is " + (file.length - 14));
        }

        @Test
        void aSkeletonOfTheWrongLength() {
            byte[] file = small().bytes();
            assertThatThrownBy(() -> FORMAT.fromSkeleton(FILE, Arrays.copyOf(file, file.length)))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining("the skeleton is " + file.length + " bytes, but its header needs");
        }

        private static int indexOf(byte[] haystack, byte[] needle) {
            for (int i = 0; i + needle.length <= haystack.length; i++) {
                if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) return i;
            }
            throw new AssertionError("not found");
        }
    }
}
