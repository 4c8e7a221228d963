package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.gittheta.format.TorchCheckpoints.LEGACY;
import static org.gittheta.format.TorchCheckpoints.MALICIOUS;
import static org.gittheta.format.TorchCheckpoints.MIXED;
import static org.gittheta.format.TorchCheckpoints.MODEL;
import static org.gittheta.format.TorchCheckpoints.MODEL_FT;
import static org.gittheta.format.TorchCheckpoints.read;
import static org.gittheta.format.TorchCheckpoints.resource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testdata.TorchZipWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchZipFormatTest {
    private static final TorchZipFormat FORMAT = TorchZipFormat.INSTANCE;

    /** Reads, rebuilds byte-identically from skeleton + slots, and agrees with fromSkeleton. */
    private static CheckpointLayout readAndRoundTrip(String name, byte[] file) throws IOException {
        CheckpointLayout layout = read(name, file);
        assertThat(layout.format()).isEqualTo("torch-zip");
        assertThat(layout.fileSize()).isEqualTo(file.length);
        assertThat(TestCheckpoints.rebuild(layout, file)).isEqualTo(file);
        assertThat(FORMAT.fromSkeleton(name, layout.skeleton())).isEqualTo(layout);
        return layout;
    }

    private static byte[] slotBytes(CheckpointLayout layout, byte[] file, String name) {
        TensorSlot slot = layout.tensor(name).orElseThrow();
        return Arrays.copyOfRange(file, (int) slot.offset(), (int) slot.end());
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @ParameterizedTest
    @ValueSource(strings = {MIXED, MODEL, MODEL_FT})
    void referenceFilesRoundTripByteExactly(String name) throws IOException {
        readAndRoundTrip(name, resource(name));
    }

    @Test
    void mixedFileHasOneSlotPerStorage() throws IOException {
        byte[] file = resource(MIXED);
        CheckpointLayout layout = readAndRoundTrip(MIXED, file);
        assertThat(layout.tensors())
                .extracting(TensorSlot::name)
                .containsExactly("layer.weight", "half", "bf16", "f64", "ids", "i8", "u8", "mask", "scalar", "empty");
        assertThat(layout.tensor("layer.weight").orElseThrow())
                .returns(DType.F32, TensorSlot::dtype)
                .returns(Shape.of(6, 8), TensorSlot::shape)
                .returns(192L, TensorSlot::length);
        assertThat(layout.tensor("half").orElseThrow().shape()).isEqualTo(Shape.of(16));
        assertThat(layout.tensor("half").orElseThrow().dtype()).isEqualTo(DType.F16);
        assertThat(layout.tensor("bf16").orElseThrow())
                .returns(DType.BF16, TensorSlot::dtype)
                .returns(Shape.of(3, 5), TensorSlot::shape);
        assertThat(layout.tensor("f64").orElseThrow())
                .returns(DType.F64, TensorSlot::dtype)
                .returns(Shape.of(4), TensorSlot::shape);
        assertThat(layout.tensor("mask").orElseThrow().dtype()).isEqualTo(DType.BOOL);
        assertThat(layout.tensor("empty").orElseThrow())
                .returns(Shape.of(0, 4), TensorSlot::shape)
                .returns(0L, TensorSlot::length);
        // Storages are 64-byte aligned in the file, as torch writes them.
        assertThat(layout.tensors()).allSatisfy(s -> assertThat(s.offset() % 64).isZero());

        ByteBuffer ids = le(slotBytes(layout, file, "ids"));
        assertThat(layout.tensor("ids").orElseThrow().dtype()).isEqualTo(DType.I64);
        for (long i = 0; i < 7; i++) assertThat(ids.getLong()).isEqualTo(i);
        assertThat(slotBytes(layout, file, "i8")).containsExactly(-128, -1, 0, 1, 127);
        assertThat(layout.tensor("i8").orElseThrow().dtype()).isEqualTo(DType.I8);
        assertThat(slotBytes(layout, file, "u8")).containsExactly(0, 1, (byte) 255);
        assertThat(layout.tensor("u8").orElseThrow().dtype()).isEqualTo(DType.U8);
        assertThat(slotBytes(layout, file, "mask")).containsExactly(1, 0, 1);
        TensorSlot scalar = layout.tensor("scalar").orElseThrow();
        assertThat(scalar.shape()).isEqualTo(Shape.SCALAR);
        assertThat(le(slotBytes(layout, file, "scalar")).getFloat()).isEqualTo(3.5f);
    }

    @Test
    void viewsOfOneStorageAreListedAsAliases() throws IOException {
        CheckpointLayout layout = read(MIXED, resource(MIXED));
        List<TorchTensor> tensors = FORMAT.tensors(MIXED, layout.skeleton());
        assertThat(tensors).hasSize(12);
        assertThat(tensors.getFirst())
                .isEqualTo(
                        new TorchTensor("layer.weight", "layer.weight", DType.F32, Shape.of(6, 8), 0, List.of(8L, 1L)));
        assertThat(tensors.get(1))
                .isEqualTo(new TorchTensor(
                        "layer.weight_t", "layer.weight", DType.F32, Shape.of(8, 6), 0, List.of(1L, 8L)));
        assertThat(tensors.get(2))
                .isEqualTo(new TorchTensor(
                        "layer.rows_2_4", "layer.weight", DType.F32, Shape.of(2, 8), 16, List.of(8L, 1L)));
        assertThat(tensors)
                .filteredOn(TorchTensor::isAlias)
                .extracting(TorchTensor::name)
                .containsExactly("layer.weight_t", "layer.rows_2_4");
    }

    /**
     * torch.save writes {@code w8.view(torch.float8_e5m2)} beside {@code w8} (float8_e4m3fn) as two
     * _rebuild_tensor_v3 calls on one UntypedStorage of the same bytes; torch.load reads it.
     */
    @Test
    void viewsOfOneUntypedStorageAsOtherDtypesAreAliases() throws IOException {
        byte[] values = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] written = TorchZipWriter.bytes(
                "v",
                List.of(
                        new SafetensorsWriter.Tensor("w8", DType.F8_E4M3, Shape.of(8), out -> out.write(values)),
                        new SafetensorsWriter.Tensor("w5", DType.F8_E5M2, Shape.of(8), out -> out.write(values))));
        Map<String, byte[]> entries = new LinkedHashMap<>(TorchCheckpoints.entries(written));
        entries.remove("v/data/1");
        byte[] pickle = entries.get("v/data.pkl");
        String secondKey = "X\u0001\u0000\u0000\u00001"; // BINUNICODE "1", the storage key of w5
        int at = new String(pickle, StandardCharsets.ISO_8859_1).indexOf(secondKey);
        pickle[at + secondKey.length() - 1] = '0'; // w5 now views storage "0", as torch writes it
        byte[] file = TorchCheckpoints.storedZip(entries);

        CheckpointLayout layout = readAndRoundTrip("views.pt", file);
        assertThat(layout.tensors())
                .extracting(TensorSlot::name, TensorSlot::dtype, TensorSlot::shape)
                .containsExactly(tuple("w8", DType.F8_E4M3, Shape.of(8)));
        assertThat(FORMAT.tensors("views.pt", layout.skeleton()))
                .filteredOn(TorchTensor::isAlias)
                .singleElement()
                .isEqualTo(new TorchTensor("w5", "w8", DType.F8_E5M2, Shape.of(8), 0, List.of(1L)));
    }

    @Test
    void tiedEmbeddingsAreStoredOnce() throws IOException {
        CheckpointLayout layout = readAndRoundTrip(MODEL, resource(MODEL));
        assertThat(layout.tensors())
                .extracting(TensorSlot::name)
                .containsExactly(
                        "embed_tokens.weight",
                        "layers.0.weight",
                        "layers.0.bias",
                        "layers.1.weight",
                        "layers.1.bias",
                        "norm.weight",
                        "norm.bias");
        assertThat(layout.tensor("embed_tokens.weight").orElseThrow().shape()).isEqualTo(Shape.of(64, 16));
        assertThat(FORMAT.tensors(MODEL, layout.skeleton()))
                .filteredOn(TorchTensor::isAlias)
                .singleElement()
                .returns("lm_head.weight", TorchTensor::name)
                .returns("embed_tokens.weight", TorchTensor::slot);
    }

    @Test
    void fineTunedModelDiffersInOneSlotOnly() throws IOException {
        byte[] base = resource(MODEL);
        byte[] tuned = resource(MODEL_FT);
        CheckpointLayout a = read(MODEL, base);
        CheckpointLayout b = read(MODEL_FT, tuned);
        assertThat(b.tensors())
                .extracting(TensorSlot::name)
                .isEqualTo(a.tensors().stream().map(TensorSlot::name).toList());
        for (TensorSlot slot : a.tensors()) {
            boolean same = Arrays.equals(slotBytes(a, base, slot.name()), slotBytes(b, tuned, slot.name()));
            assertThat(same).as(slot.name()).isEqualTo(!slot.name().equals("layers.1.weight"));
            assertThat(b.tensor(slot.name()).orElseThrow().shape()).isEqualTo(slot.shape());
        }
    }

    @Test
    void maliciousPickleIsNotAStateDictAndNothingRuns() {
        byte[] file = resource(MALICIOUS);
        assertThat(Formats.detect(MemorySegment.ofArray(file))).containsSame(FORMAT);
        assertThatThrownBy(() -> read(MALICIOUS, file))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessage(MALICIOUS + ": not a state dict: global 'posix system'")
                .satisfies(
                        e -> assertThat(((NotAStateDictException) e).global()).hasValue("posix system"));
        assertThat(Files.exists(Path.of("pwned-by-checkpoint"))).isFalse();
    }

    @Test
    void legacyPickleIsRecognisedAndNotSplit() {
        byte[] file = resource(LEGACY);
        MemorySegment head = MemorySegment.ofArray(file);
        assertThat(Formats.isLegacyTorch(head)).isTrue();
        assertThat(Formats.detect(head)).isEmpty();
        assertThatThrownBy(() -> read(LEGACY, file))
                .isInstanceOf(BadCheckpointException.class)
                .hasMessageStartingWith(LEGACY + ": ");
        assertThat(Formats.isLegacyTorch(MemorySegment.ofArray(resource(MIXED))))
                .isFalse();
    }

    @Test
    void everyTruncationIsOneBadCheckpointException() throws IOException {
        for (String name : List.of(MIXED, MODEL)) {
            byte[] file = resource(name);
            for (int cut = 0; cut < file.length; cut += step(cut, file.length)) {
                byte[] truncated = Arrays.copyOf(file, cut);
                assertThatThrownBy(() -> read(name, truncated))
                        .as("cut at %d", cut)
                        .isExactlyInstanceOf(BadCheckpointException.class)
                        .hasMessageStartingWith(name + ": ");
            }
            byte[] skeleton = read(name, file).skeleton();
            for (int cut = 0; cut < skeleton.length; cut += step(cut, skeleton.length)) {
                byte[] truncated = Arrays.copyOf(skeleton, cut);
                assertThatThrownBy(() -> FORMAT.fromSkeleton(name, truncated))
                        .as("skeleton cut at %d", cut)
                        .isExactlyInstanceOf(BadCheckpointException.class)
                        .hasMessageStartingWith(name + ": ");
            }
        }
    }

    /** Every cut point near the ends, where the headers and end records are; every 7th in between. */
    private static int step(int cut, int length) {
        return cut < 256 || cut > length - 512 ? 1 : 7;
    }

    @Test
    void corruptCentralDirectoryIsRejected() {
        byte[] file = resource(MIXED);
        int directory = le(file).getInt(file.length - 22 + 16);
        byte[] badSignature = file.clone();
        badSignature[directory] = 'X';
        assertThatThrownBy(() -> read(MIXED, badSignature))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("central directory entry 0");
        byte[] badOffset = file.clone();
        badOffset[directory + 42] = 7; // first entry's local header offset
        assertThatThrownBy(() -> read(MIXED, badOffset))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("local header");
        byte[] badCrc = file.clone();
        badCrc[directory + 16] ^= 1; // data.pkl's CRC
        assertThatThrownBy(() -> read(MIXED, badCrc))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("data.pkl");
    }

    @Test
    void picklesEndingEarlyAreRejected() {
        Map<String, byte[]> entries = TorchCheckpoints.entries(resource(MIXED));
        byte[] pickle = entries.get("torch-zip-mixed/data.pkl");
        for (int length = 0; length < pickle.length; length++) {
            Map<String, byte[]> cut = new LinkedHashMap<>(entries);
            cut.put("torch-zip-mixed/data.pkl", Arrays.copyOf(pickle, length));
            byte[] file = TorchCheckpoints.storedZip(cut);
            assertThatThrownBy(() -> read(MIXED, file))
                    .as("pickle of %d bytes", length)
                    .isExactlyInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining("data.pkl");
        }
    }

    @Test
    void zipsWithoutDescriptorsOrZip64RoundTrip() throws IOException {
        byte[] file = TorchCheckpoints.storedZip(TorchCheckpoints.entries(resource(MIXED)));
        CheckpointLayout layout = readAndRoundTrip("rezipped.pt", file);
        assertThat(layout.tensors())
                .extracting(TensorSlot::name)
                .containsExactly("layer.weight", "half", "bf16", "f64", "ids", "i8", "u8", "mask", "scalar", "empty");
    }

    @Test
    void zip64ExtraFieldsAndWideDescriptorsRoundTrip() throws IOException {
        Map<String, byte[]> entries = TorchCheckpoints.entries(resource(MIXED));
        byte[] file = TorchCheckpoints.zip64Zip(entries);
        assertThat(TorchCheckpoints.entries(file)).containsOnlyKeys(entries.keySet()); // the JDK agrees it is a zip
        CheckpointLayout layout = readAndRoundTrip("zip64.pt", file);
        CheckpointLayout original = read(MIXED, resource(MIXED));
        assertThat(layout.tensors())
                .extracting(TensorSlot::name, TensorSlot::dtype, TensorSlot::shape)
                .isEqualTo(original.tensors().stream()
                        .map(t -> tuple(t.name(), t.dtype(), t.shape()))
                        .toList());
    }

    @Test
    void complex64TensorsAreParameters() throws IOException {
        byte[] values = new byte[6 * 8];
        Arrays.fill(values, (byte) 7);
        byte[] file = TorchZipWriter.bytes(
                "c",
                List.of(new SafetensorsWriter.Tensor(
                        "freqs_cis", DType.C64, Shape.of(2, 3), out -> out.write(values))));
        CheckpointLayout layout = readAndRoundTrip("complex.pt", file);
        assertThat(layout.tensors())
                .extracting(TensorSlot::name, TensorSlot::dtype, TensorSlot::shape)
                .containsExactly(tuple("freqs_cis", DType.C64, Shape.of(2, 3)));
        assertThat(slotBytes(layout, file, "freqs_cis")).isEqualTo(values);
    }

    @Test
    void storageNoTensorNamesGetsASyntheticName() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(TorchCheckpoints.entries(resource(MIXED)));
        entries.put("torch-zip-mixed/data/extra", new byte[] {1, 2, 3});
        CheckpointLayout layout = readAndRoundTrip("extra.pt", TorchCheckpoints.storedZip(entries));
        assertThat(layout.tensor("storage/extra").orElseThrow())
                .returns(DType.U8, TensorSlot::dtype)
                .returns(Shape.of(3), TensorSlot::shape);
    }

    @Test
    void compressedStorageIsNotSplit() {
        byte[] file = TorchCheckpoints.deflatedZip(TorchCheckpoints.entries(resource(MIXED)));
        assertThatThrownBy(() -> read("deflated.pt", file))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("compressed");
    }

    @Test
    void aCheckpointSavedBigEndianIsStoredWholeNotMisread() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(TorchCheckpoints.entries(resource(MIXED)));
        entries.put("torch-zip-mixed/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        byte[] file = TorchCheckpoints.storedZip(entries);
        Formats.Split split = Formats.split("be.pt", MemorySegment.ofArray(file));
        assertThat(split.layout().format()).isEqualTo("opaque");
        assertThat(split.storedWhole()).contains("not a state dict: storages are big-endian (byteorder 'big')");

        entries.put("torch-zip-mixed/byteorder", "middle".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> read("odd.pt", TorchCheckpoints.storedZip(entries)))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessage("odd.pt: entry 'byteorder' is neither 'little' nor 'big'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"torch.save", "zip64 with data descriptors"})
    void storagesWithNewValuesGetTheirCrcsRecomputedEverywhereTheArchiveRecordsThem(String writer) throws IOException {
        byte[] file = writer.equals("torch.save")
                ? resource(MODEL)
                : TorchCheckpoints.zip64Zip(TorchCheckpoints.entries(resource(MODEL)));
        CheckpointLayout layout = read(MODEL, file);
        byte[] changed = file.clone();
        TensorSlot updated = layout.tensor("layers.1.weight").orElseThrow();
        for (long i = updated.offset(); i < updated.end(); i += 3) changed[(int) i] ^= 0x5a;
        assertThatThrownBy(() -> assertValidZip(changed)).hasMessageContaining("CRC");

        byte[] skeleton = FORMAT.withValues(
                MODEL,
                layout.skeleton(),
                Set.of("layers.1.weight"),
                (slot, out) -> out.write(changed, (int) slot.offset(), (int) slot.length()));
        CheckpointLayout resealed = FORMAT.fromSkeleton(MODEL, skeleton);
        byte[] rebuilt = TestCheckpoints.rebuild(resealed, changed);
        assertValidZip(rebuilt);
        assertThat(read(MODEL, rebuilt)).isEqualTo(resealed);
        int differing = 0;
        for (int i = 0; i < file.length; i++) if (rebuilt[i] != changed[i]) differing++;
        assertThat(differing).as("bytes of the two (or three) CRC fields").isBetween(1, 12);
        assertThat(FORMAT.withValues(MODEL, layout.skeleton(), Set.of(), (slot, out) -> {
                    throw new AssertionError("no storage changed");
                }))
                .isEqualTo(layout.skeleton());
    }

    @Test
    void valuesOfTheWrongLengthAreRefused() throws IOException {
        CheckpointLayout layout = read(MODEL, resource(MODEL));
        assertThatThrownBy(() -> FORMAT.withValues(
                        MODEL, layout.skeleton(), Set.of("norm.bias"), (slot, out) -> out.write(new byte[3])))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("norm.bias");
    }

    /** What unzip -t checks: every entry's data has the CRC-32 its central record, local header or descriptor says. */
    static void assertValidZip(byte[] zip) throws IOException {
        ZipDirectory directory = ZipDirectory.read("zip", MemorySegment.ofArray(zip), false);
        for (ZipDirectory.Placed p : directory.place(e -> false)) {
            CRC32 crc = new CRC32();
            crc.update(zip, (int) p.dataPosition(), (int) p.entry().compressedSize());
            if (crc.getValue() != p.entry().crc())
                throw new IOException(p.entry().name() + ": bad CRC");
        }
    }
}
