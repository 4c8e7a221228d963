package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gittheta.testdata.TestCheckpoints.readSafetensors;
import static org.gittheta.testdata.TestCheckpoints.rebuild;
import static org.gittheta.testdata.TestCheckpoints.safetensors;
import static org.gittheta.testdata.TestCheckpoints.safetensorsWithHeader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints.KeyOrder;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsFormatTest {
    private static final String FILE = "models/bad.safetensors";
    private static final SafetensorsFormat FORMAT = SafetensorsFormat.INSTANCE;

    /** Reads, checks the layout accounts for every byte, rebuilds byte-identically, and agrees with fromSkeleton. */
    private static CheckpointLayout readAndRoundTrip(byte[] file) throws IOException {
        CheckpointLayout layout = readSafetensors("ok.safetensors", file);
        assertThat(layout.format()).isEqualTo("safetensors");
        assertThat(layout.fileSize()).isEqualTo(file.length);
        assertThat(layout.skeleton()).isEqualTo(Arrays.copyOf(file, layout.skeletonLength()));
        assertThat(rebuild(layout, file)).isEqualTo(file);
        assertThat(FORMAT.fromSkeleton("ok.safetensors", layout.skeleton())).isEqualTo(layout);
        assertThat(FORMAT.skeletonLength(
                        "ok.safetensors", MemorySegment.ofArray(file).asSlice(0, FORMAT.minPrefix())))
                .isEqualTo(layout.skeletonLength());
        return layout;
    }

    private static void assertRejected(byte[] file, String tensor, String... fragments) {
        assertThatThrownBy(() -> readSafetensors(FILE, file))
                .isInstanceOf(BadCheckpointException.class)
                .satisfies(e -> {
                    BadCheckpointException bad = (BadCheckpointException) e;
                    assertThat(bad.getMessage()).startsWith(FILE + ": ").contains(fragments);
                    assertThat(bad.file()).isEqualTo(FILE);
                    assertThat(bad.tensor()).isEqualTo(java.util.Optional.ofNullable(tensor));
                    if (tensor != null) assertThat(bad.getMessage()).contains("tensor '" + tensor + "': ");
                });
    }

    /** A header-only problem: the file and its skeleton alone are rejected alike. */
    private static void assertHeaderRejected(String header, String tensor, String... fragments) {
        byte[] file = safetensorsWithHeader(header, new byte[64]);
        assertRejected(file, tensor, fragments);
        byte[] skeleton = safetensorsWithHeader(header, new byte[0]);
        assertThatThrownBy(() -> FORMAT.fromSkeleton(FILE, skeleton))
                .isInstanceOf(BadCheckpointException.class)
                .hasMessageStartingWith(FILE + ": ")
                .hasMessageContainingAll(fragments);
    }

    private static String oneTensor(String entry) {
        return "{\"w\":" + entry + "}";
    }

    @Test
    void streamingReadsTheSkeletonPrefixAndNotOneByteMore() throws IOException {
        byte[] file = safetensors().tensor("a", DType.F32, 2, 3).bytes();
        java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(file);
        byte[] prefix = FORMAT.readSkeletonPrefix(FILE, in);
        assertThat(prefix).isEqualTo(Arrays.copyOf(file, file.length - 24));
        assertThat(in.available()).isEqualTo(24);
        byte[] cut = Arrays.copyOf(file, prefix.length - 1);
        assertThatThrownBy(() -> FORMAT.readSkeletonPrefix(FILE, new java.io.ByteArrayInputStream(cut)))
                .isInstanceOf(BadCheckpointException.class)
                .hasMessage(
                        FILE + ": truncated: the header needs " + prefix.length + " bytes, the file has " + cut.length);
    }

    @Nested
    class ReadsValidFiles {
        @Test
        void placesTensorsAfterTheHeaderInDataOrder() throws IOException {
            byte[] file = safetensors()
                    .tensor("b", DType.F32, 2, 3)
                    .tensor("a", DType.I64, 1)
                    .bytes();
            CheckpointLayout layout = readAndRoundTrip(file);
            int dataStart = layout.skeletonLength();
            assertThat(layout.tensors())
                    .containsExactly(
                            new TensorSlot("b", DType.F32, Shape.of(2, 3), dataStart, 24),
                            new TensorSlot("a", DType.I64, Shape.of(1), dataStart + 24, 8));
            assertThat(layout.tensor("a")).hasValue(layout.tensors().get(1));
            assertThat(layout.tensor("nope")).isEmpty();
        }

        @ParameterizedTest
        @EnumSource(value = DType.class, names = "Q.*|IQ.*|TQ.*|MXFP4", mode = EnumSource.Mode.MATCH_NONE)
        void everyDtype(DType dtype) throws IOException {
            // 8 elements fill whole bytes for every width, packed ones included.
            CheckpointLayout layout = readAndRoundTrip(
                    safetensors().tensor("t", dtype, 2, 4).tensor("s", dtype, 8).bytes());
            assertThat(layout.tensors()).extracting(TensorSlot::dtype).containsOnly(dtype);
            assertThat(layout.tensors().getFirst().length()).isEqualTo(dtype.bits());
        }

        @Test
        void scalar() throws IOException {
            CheckpointLayout layout = readAndRoundTrip(
                    safetensors().tensor("s", DType.F64, Shape.SCALAR).bytes());
            assertThat(layout.tensors()).singleElement().satisfies(s -> {
                assertThat(s.shape()).isEqualTo(Shape.SCALAR);
                assertThat(s.length()).isEqualTo(8);
            });
        }

        @Test
        void zeroElementTensorsMayShareAnOffset() throws IOException {
            byte[] file = safetensors()
                    .tensor("z2", DType.F32, 3, 0)
                    .tensor("a", DType.U8, 4)
                    .tensor("z1", DType.F16, 0)
                    .tensor("z0", DType.BF16, 0, 7)
                    .tensor("b", DType.U8, 2)
                    .tensor("end", DType.I8, 0)
                    .keyOrder(KeyOrder.SHUFFLED)
                    .bytes();
            CheckpointLayout layout = readAndRoundTrip(file);
            // Empty tensors at one offset sort by name, before the non-empty tensor starting there.
            assertThat(layout.tensors())
                    .extracting(TensorSlot::name)
                    .containsExactly("z2", "a", "z0", "z1", "b", "end");
            assertThat(layout.tensor("z1").orElseThrow().length()).isZero();
        }

        @Test
        void noTensors() throws IOException {
            assertThat(readAndRoundTrip(safetensorsWithHeader("{}", new byte[0]))
                            .tensors())
                    .isEmpty();
            assertThat(readAndRoundTrip(safetensors().metadata("format", "pt").bytes())
                            .tensors())
                    .isEmpty();
        }

        @Test
        void metadataFirstLastOrNull() throws IOException {
            readAndRoundTrip(safetensors()
                    .tensor("a", DType.F32, 2)
                    .metadata("format", "pt")
                    .metadata("x", "")
                    .bytes());
            readAndRoundTrip(safetensors()
                    .tensor("a", DType.F32, 2)
                    .metadata("k", "v")
                    .metadataLast()
                    .bytes());
            readAndRoundTrip(safetensorsWithHeader("{\"__metadata__\":null}", new byte[0]));
        }

        @ParameterizedTest
        @EnumSource(KeyOrder.class)
        void anyKeyOrder(KeyOrder order) throws IOException {
            byte[] file = safetensors()
                    .tensor("c", DType.F32, 2)
                    .tensor("a", DType.F16, 3)
                    .tensor("b", DType.U8, 5)
                    .keyOrder(order)
                    .fieldOrder("data_offsets", "dtype", "shape")
                    .metadata("m", "1")
                    .metadataLast()
                    .bytes();
            assertThat(readAndRoundTrip(file).tensors())
                    .extracting(TensorSlot::name)
                    .containsExactly("c", "a", "b");
        }

        @Test
        void whitespaceAndPadding() throws IOException {
            readAndRoundTrip(safetensors()
                    .tensor("a", DType.F32, 2)
                    .metadata("k", "v")
                    .pretty()
                    .bytes());
            readAndRoundTrip(safetensors().tensor("a", DType.F32, 2).padding(13).bytes());
            byte[] aligned = safetensors().tensor("a", DType.F32, 2).align(8).bytes();
            assertThat(readAndRoundTrip(aligned).skeletonLength() % 8).isZero();
            readAndRoundTrip(safetensorsWithHeader(" \n{}\t\r\n ", new byte[0]));
        }

        @Test
        void unicodeAndEscapedNames() throws IOException {
            byte[] file = safetensors()
                    .tensor("层.权重", DType.F32, 1)
                    .tensor("🙂", DType.U8, 1)
                    .tensor("quote\"back\\slash\nnewline", DType.U8, 1)
                    .tensor("", DType.U8, 1)
                    .metadata("ключ", "значение")
                    .bytes();
            assertThat(readAndRoundTrip(file).tensors())
                    .extracting(TensorSlot::name)
                    .containsExactly("层.权重", "🙂", "quote\"back\\slash\nnewline", "");
            byte[] escaped = safetensorsWithHeader(
                    "{\"\\u00e9\\ud83d\\ude42\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
            assertThat(readAndRoundTrip(escaped).tensors().getFirst().name()).isEqualTo("é🙂");
        }

        @Test
        void mappedFromDisk(@TempDir Path dir) throws IOException {
            Path path = safetensors()
                    .tensor("a", DType.BF16, 16, 16)
                    .tensor("b", DType.F32, 3)
                    .seed(7)
                    .write(dir.resolve("model.safetensors"));
            try (Arena arena = Arena.ofConfined();
                    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                CheckpointLayout layout = FORMAT.read(path.toString(), mapped);
                assertThat(layout).isEqualTo(readSafetensors(path.toString(), java.nio.file.Files.readAllBytes(path)));
            }
        }

        @Test
        void fileOfExactlyTheLengthPrefix() {
            // Header length 0 is a well-formed prefix whose (empty) header is not an object.
            assertRejected(new byte[8], null, "not a JSON object");
        }
    }

    @Nested
    class RejectsABrokenFrame {
        @ParameterizedTest
        @ValueSource(ints = {0, 1, 7})
        void fileShorterThanTheLengthPrefix(int size) {
            assertRejected(new byte[size], null, "shorter than the 8-byte header length");
        }

        @Test
        void headerLengthPastTheEndOfFile() {
            byte[] file = safetensorsWithHeader("{}", new byte[0]);
            file[0] = 3;
            assertRejected(file, null, "header length 3 runs past the end of the file (10 bytes)");
        }

        @ParameterizedTest
        @ValueSource(longs = {100_000_001L, Long.MAX_VALUE, -1L})
        void headerLengthOverTheLimit(long length) {
            byte[] file = ByteBuffer.allocate(16)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(length)
                    .array();
            assertRejected(
                    file,
                    null,
                    "header length " + Long.toUnsignedString(length),
                    "exceeds the limit of 100000000 bytes");
        }

        @Test
        void headerNotUtf8() {
            byte[] header = "{\"a\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1);
            assertRejected(
                    safetensorsWithHeader(header, new byte[0]), null, "header is not valid UTF-8", "file offset 11");
            byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '1', '}'};
            assertRejected(safetensorsWithHeader(overlong, new byte[0]), null, "header is not valid UTF-8");
            byte[] truncated = {'{', '}', ' ', (byte) 0xE4, (byte) 0xB8};
            assertRejected(safetensorsWithHeader(truncated, new byte[0]), null, "header is not valid UTF-8");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "   ", "[]", "42", "null", "\"x\""})
        void headerNotAJsonObject(String header) {
            assertHeaderRejected(header, null, "header is not a JSON object");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "{",
                    "{\"a\":",
                    "{'a':1}",
                    "{\"a\" {}}",
                    "{\"__metadata__\":{},}",
                    "{/*c*/}",
                    "{\"a\":NaN}",
                    "\uFEFF{}"
                })
        void headerNotValidJson(String header) {
            assertHeaderRejected(header, null, "header is");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{", "{\"a\":", "{\"a\":{\"dtype\":\"U8\"", "{\"__metadata__\":{\"k\":\"v"})
        void headerEndsInsideTheObject(String header) {
            assertHeaderRejected(header, null, "header is not valid JSON: it ends before the JSON object is closed");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{} x", "{}{}", "{}\u0000", "{} ]"})
        void trailingGarbageAfterTheHeaderObject(String header) {
            assertHeaderRejected(header, null, "header");
        }

        @Test
        void aMismatchedCloseNamesWhereTheObjectBeganInLinesAndColumns() {
            assertHeaderRejected(
                    "{\"a\": {\"dtype\": \"F32\"]}",
                    null,
                    "header is not valid JSON at line 1 column 22: Unexpected close marker ']': expected '}' (for Object"
                            + " starting at line 1 column 7)");
        }

        @Test
        void trailingGarbageNamesWhere() {
            assertHeaderRejected("{}   x", null, "trailing data after the JSON object (at character 5)");
        }

        @Test
        void dataRunsPastTheEndOfTheFile() {
            byte[] file = safetensors()
                    .tensor("a", DType.F32, 2)
                    .tensor("b", DType.F32, 4)
                    .bytes();
            assertRejected(
                    Arrays.copyOf(file, file.length - 1),
                    "b",
                    "data_offsets [8, 24] run past the end of the file",
                    "data region is 23 bytes");
        }

        @Test
        void trailingDataAfterTheLastTensor() {
            byte[] file = safetensors().tensor("a", DType.F32, 2).bytes();
            assertRejected(
                    Arrays.copyOf(file, file.length + 3), null, "3 bytes of trailing data after the last tensor");
            assertRejected(safetensorsWithHeader("{}", new byte[1]), null, "1 bytes of trailing data");
        }
    }

    @Nested
    class RejectsBadTensorEntries {
        @ParameterizedTest
        @ValueSource(strings = {"1", "[]", "\"F32\"", "null", "true"})
        void entryNotAnObject(String entry) {
            assertHeaderRejected(oneTensor(entry), "w", "entry is not a JSON object");
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                quoteCharacter = '`',
                value = {
                    "{\"shape\":[1],\"data_offsets\":[0,1]}                             | has no dtype",
                    "{\"dtype\":\"U8\",\"data_offsets\":[0,1]}                          | has no shape",
                    "{\"dtype\":\"U8\",\"shape\":[1]}                                   | has no data_offsets",
                    "{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,1]}                 | dtype is not a string",
                    "{\"dtype\":null,\"shape\":[1],\"data_offsets\":[0,1]}              | dtype is not a string",
                    "{\"dtype\":\"U8\",\"shape\":\"[1]\",\"data_offsets\":[0,1]}        | shape is not a JSON array",
                    "{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}        | shape element 0 "
                            + "is not an integer",
                    "{\"dtype\":\"U8\",\"shape\":[[1]],\"data_offsets\":[0,1]}          | shape element 0 "
                            + "is not an integer",
                    "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":{}}               | data_offsets is "
                            + "not a JSON array",
                    "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}              | data_offsets "
                            + "[0] is not [begin, end]",
                    "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}          | data_offsets "
                            + "[0, 1, 2] is not [begin, end]",
                    "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}    | unknown key 'x'",
                    "{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]} | key "
                            + "'dtype' appears twice",
                })
        void missingWrongTypedOrUnknownKeys(String entry, String message) {
            assertHeaderRejected(oneTensor(entry), "w", message);
        }

        @ParameterizedTest
        @ValueSource(strings = {"F128", "f32", "float32", "", "BF16 ", "Q8_0", "Q4_K"})
        void unknownDtype(String dtype) {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,1]}"),
                    "w",
                    "unknown dtype '" + dtype + "'");
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                quoteCharacter = '`',
                value = {
                    "-1                    | shape element 0 is negative: -1",
                    "2,-3                  | shape element 1 is negative: -3",
                    "2.5                   | shape element 0 is not an integer: 2.5",
                    "1e2                   | shape element 0 is not an integer",
                    "2.0                   | shape element 0 is not an integer",
                    "99999999999999999999  | shape element 0 is too large",
                })
        void badDimensions(String dims, String message) {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"U8\",\"shape\":[" + dims + "],\"data_offsets\":[0,1]}"), "w", message);
        }

        @Test
        void negativeOrFractionalOffsets() {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}"),
                    "w",
                    "data_offsets element 0 is negative");
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.0]}"),
                    "w",
                    "data_offsets element 1 is not an integer");
        }

        @Test
        void duplicateTensorNames() {
            String entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
            assertHeaderRejected(
                    "{\"a\":" + entry + ",\"b\":" + entry + ",\"a\":" + entry + "}",
                    "a",
                    "appears twice in the header");
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                quoteCharacter = '`',
                value = {
                    "[]                  | __metadata__ is not a JSON object",
                    "\"x\"               | __metadata__ is not a JSON object",
                    "{\"k\":1}           | __metadata__: value of 'k' is not a string",
                    "{\"k\":null}        | __metadata__: value of 'k' is not a string",
                    "{\"k\":{}}          | __metadata__: value of 'k' is not a string",
                    "{\"k\":\"a\",\"k\":\"b\"} | __metadata__: key 'k' appears twice",
                })
        void badMetadata(String metadata, String message) {
            assertHeaderRejected("{\"__metadata__\":" + metadata + "}", null, message);
        }

        @Test
        void twoMetadataEntries() {
            assertHeaderRejected(
                    "{\"__metadata__\":{},\"__metadata__\":{}}", null, "header has two __metadata__ entries");
        }

        @Test
        void beginAfterEnd() {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}"),
                    "w",
                    "data_offsets [4, 0] begin after they end");
        }

        @Test
        void offsetsDisagreeWithShapeAndDtype() {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}"),
                    "w",
                    "data_offsets [0, 20] hold 20 bytes but shape [2,3] of F32 needs 24");
        }

        @Test
        void packedTensorsMustFillWholeBytes() {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}"),
                    "w",
                    "shape [3]: 3 elements of F4 do not fill whole bytes");
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"F6_E2M3\",\"shape\":[],\"data_offsets\":[0,1]}"),
                    "w",
                    "do not fill whole bytes");
        }

        @Test
        void sizesThatOverflow() {
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,1]}"),
                    "w",
                    "element count overflows");
            assertHeaderRejected(
                    oneTensor("{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,1]}"),
                    "w",
                    "byte size of shape [2305843009213693952] of F64 overflows");
            // One tensor cannot reach a file position overflow (its bit count would overflow first), so
            // sixteen contiguous 2^59-byte tensors run up to Long.MAX_VALUE, and the header length pushes past it.
            StringBuilder header = new StringBuilder("{");
            long chunk = 1L << 59;
            for (int i = 0; i < 16; i++) {
                long begin = i * chunk;
                long end = i == 15 ? Long.MAX_VALUE : begin + chunk;
                header.append(i == 0 ? "" : ",")
                        .append("\"t")
                        .append(i)
                        .append("\":{\"dtype\":\"U8\",\"shape\":[")
                        .append(end - begin)
                        .append("],\"data_offsets\":[")
                        .append(begin)
                        .append(',')
                        .append(end)
                        .append("]}");
            }
            assertHeaderRejected(header.append('}').toString(), "t15", "overflow a file position");
        }
    }

    @Nested
    class RejectsTensorsThatDoNotTileTheData {
        private static String u8(String name, long begin, long end) {
            return "\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[" + (end - begin) + "],\"data_offsets\":[" + begin
                    + "," + end + "]}";
        }

        @Test
        void overlap() {
            assertHeaderRejected(
                    "{" + u8("a", 0, 8) + "," + u8("b", 4, 12) + "}",
                    "b",
                    "data_offsets [4, 12] overlap tensor 'a' [0, 8]");
        }

        @Test
        void emptyTensorInsideAnother() {
            assertHeaderRejected("{" + u8("a", 0, 8) + "," + u8("e", 4, 4) + "}", "e", "overlap tensor 'a'");
        }

        @Test
        void sameRangeTwice() {
            assertHeaderRejected("{" + u8("b", 0, 4) + "," + u8("a", 0, 4) + "}", "b", "overlap tensor 'a' [0, 4]");
        }

        @Test
        void gapBetweenTensors() {
            assertHeaderRejected(
                    "{" + u8("a", 0, 4) + "," + u8("b", 6, 8) + "}",
                    "b",
                    "leave 2 unused bytes before it after tensor 'a' [0, 4]");
        }

        @Test
        void gapBeforeTheFirstTensor() {
            assertHeaderRejected(
                    "{" + u8("a", 3, 4) + "}", "a", "leave 3 unused bytes before it at the start of the data region");
        }
    }

    @Nested
    class DerivesTheLayoutFromTheSkeletonAlone {
        @Test
        void sameLayoutAsReadingTheFile() throws IOException {
            byte[] file = safetensors()
                    .tensor("a", DType.F32, 3, 3)
                    .tensor("b", DType.F4, 6)
                    .metadata("k", "v")
                    .padding(5)
                    .bytes();
            CheckpointLayout layout = readSafetensors("x.safetensors", file);
            assertThat(FORMAT.fromSkeleton("x.safetensors", layout.skeleton())).isEqualTo(layout);
        }

        @Test
        void rejectsASkeletonWhoseLengthPrefixDisagrees() {
            byte[] skeleton = safetensorsWithHeader("{}  ", new byte[0]);
            assertThatThrownBy(() -> FORMAT.fromSkeleton(FILE, Arrays.copyOf(skeleton, skeleton.length - 1)))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessage(FILE + ": header length 4 does not match the 11-byte skeleton");
            assertThatThrownBy(() -> FORMAT.fromSkeleton(FILE, new byte[3]))
                    .hasMessage(FILE + ": file is 3 bytes, shorter than the 8-byte header length");
        }
    }

    @Nested
    class MeasuresTheSkeletonFromAPrefix {
        @Test
        void fromTheFirstEightBytes() throws BadCheckpointException {
            byte[] file = safetensors().tensor("a", DType.F32, 100).padding(3).bytes();
            assertThat(FORMAT.minPrefix()).isEqualTo(8);
            long expected = readSafetensors(FILE, file).skeletonLength();
            assertThat(FORMAT.skeletonLength(FILE, MemorySegment.ofArray(file).asSlice(0, 8)))
                    .isEqualTo(expected);
            assertThat(FORMAT.skeletonLength(FILE, MemorySegment.ofArray(file))).isEqualTo(expected);
        }

        @Test
        void rejectsShortOrOversizedPrefixes() {
            assertThatThrownBy(() -> FORMAT.skeletonLength(FILE, MemorySegment.ofArray(new byte[5])))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageStartingWith(FILE + ": file is 5 bytes");
            byte[] huge = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(1L << 40)
                    .array();
            assertThatThrownBy(() -> FORMAT.skeletonLength(FILE, MemorySegment.ofArray(huge)))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining("exceeds the limit");
        }
    }
}
