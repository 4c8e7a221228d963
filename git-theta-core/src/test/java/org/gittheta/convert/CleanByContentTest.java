package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.format.TorchZipFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clean by content: the format comes from the bytes, torch zips are spooled, what cannot be split is stored whole. */
class CleanByContentTest {
    @TempDir
    Path dir;

    static byte[] reference(String name) throws IOException {
        try (InputStream in = CleanByContentTest.class.getResourceAsStream("/testdata/" + name)) {
            return in.readAllBytes();
        }
    }

    private Cleaner cleaner(ObjectStore store, boolean refuseWhole) throws IOException {
        return new Cleaner(
                store, new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto()), Progress.NONE, refuseWhole);
    }

    /** Cleans, then smudges the manifest back and checks the bytes. */
    private Cleaner.Stored roundTrip(String name, byte[] file) throws IOException {
        ObjectStore store = new ObjectStore(dir.resolve("lfs"));
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        CleanResult result =
                cleaner(store, false).clean(name, new ByteArrayInputStream(file), manifest, Optional::empty);
        Manifest m = Manifest.parse(manifest.toByteArray());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Smudger(store, new MissingObjects(store, Optional.empty()), Progress.NONE).smudge(name, m, out);
        assertThat(out.toByteArray()).as("checked out bytes of %s", name).isEqualTo(file);
        assertThat(tempFiles()).isZero();
        return new Cleaner.Stored(m, result.storedWhole());
    }

    private long tempFiles() throws IOException {
        Path tmp = dir.resolve("lfs/tmp");
        if (!Files.isDirectory(tmp)) return 0;
        try (var s = Files.list(tmp)) {
            return s.count();
        }
    }

    @Nested
    class Split {
        @Test
        void torchZipIsSplitPerStorage() throws IOException {
            Cleaner.Stored s = roundTrip("model.pt", reference("torch-zip-mixed.pt"));
            assertThat(s.storedWhole()).isEmpty();
            assertThat(s.manifest().format()).isEqualTo("torch-zip");
            assertThat(s.manifest().byName()).containsKeys("layer.weight", "half", "bf16", "mask");
        }

        @Test
        void safetensorsNamedBinIsSafetensors() throws IOException {
            byte[] file = org.gittheta.testdata.TestCheckpoints.safetensors()
                    .seed(3)
                    .tensor("w", org.gittheta.tensor.DType.F32, 4, 4)
                    .bytes();
            Cleaner.Stored s = roundTrip("weights.bin", file);
            assertThat(s.manifest().format()).isEqualTo("safetensors");
            assertThat(s.manifest().byName()).containsOnlyKeys("w");
        }

        @Test
        void ggufNamedSafetensorsIsGguf() throws IOException {
            assertThat(roundTrip("m.safetensors", reference("gguf-mixed.gguf"))
                            .manifest()
                            .format())
                    .isEqualTo("gguf");
        }
    }

    /**
     * A torch zip stored lossily holds other values than the file: its staged skeleton has their CRC-32s, so the
     * checked-out file is a valid zip (the directory's CRCs match the data; each data descriptor agrees with them).
     */
    @Test
    void aTorchZipStoredLossilyChecksOutAsAValidZip() throws IOException {
        ObjectStore store = new ObjectStore(dir.resolve("lfs"));
        ByteArrayOutputStream base = new ByteArrayOutputStream();
        cleaner(store, false)
                .clean(
                        "pytorch_model.bin",
                        new ByteArrayInputStream(reference("pytorch_model.bin")),
                        base,
                        Optional::empty);
        UpdateOptions lossy = new UpdateOptions(
                Optional.of(UpdateKind.LOW_RANK), Optional.empty(), 8, OptionalInt.of(1), true, Optional.empty());
        ByteArrayOutputStream tuned = new ByteArrayOutputStream();
        new Cleaner(store, new ParamEncoder(store, Codec.ZSTD, lossy), Progress.NONE, false)
                .clean(
                        "pytorch_model.bin",
                        new ByteArrayInputStream(reference("pytorch_model-ft.bin")),
                        tuned,
                        () -> Optional.of(Manifest.parse(base.toByteArray())));
        Manifest m = Manifest.parse(tuned.toByteArray());
        assertThat(m.byName().get("layers.1.weight").attributes()).containsKey("lossy");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Smudger(store, new MissingObjects(store, Optional.empty()), Progress.NONE)
                .smudge("pytorch_model.bin", m, out);
        byte[] file = out.toByteArray();
        assertThat(file).isNotEqualTo(reference("pytorch_model-ft.bin"));
        TorchZipFormat.INSTANCE.read("pytorch_model.bin", MemorySegment.ofArray(file)); // descriptors agree
        Path zip = Files.write(dir.resolve("checked-out.bin"), file);
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                CRC32 crc = new CRC32();
                crc.update(z.getInputStream(e).readAllBytes());
                assertThat(crc.getValue()).as(e.getName()).isEqualTo(e.getCrc());
            }
        }
    }

    @Nested
    class StoredWhole {
        @Test
        void hostilePickleIsStoredWholeNamingItsGlobal() throws IOException {
            Cleaner.Stored s = roundTrip("notes.pt", reference("torch-malicious.pt"));
            assertThat(s.storedWhole()).hasValue("not a state dict: global 'posix system'");
            assertThat(s.manifest().format()).isEqualTo("opaque");
            assertThat(s.manifest().skeleton()).isEmpty();
            assertThat(s.manifest().params())
                    .singleElement()
                    .satisfies(p -> assertThat(p.name()).isEqualTo(OpaqueFormat.WHOLE_FILE));
        }

        @Test
        void legacyPickleAndRandomBytesAreStoredWholeAndAnEmptyFileStaysEmpty() throws IOException {
            assertThat(roundTrip("old.pt", reference("torch-legacy.pt"))
                            .storedWhole()
                            .orElseThrow())
                    .contains("legacy PyTorch pickle");
            byte[] random = new byte[3 << 20];
            new Random(7).nextBytes(random);
            assertThat(roundTrip("blob.bin", random).storedWhole()).isPresent();
            // git never cleans an empty work-tree file again: a manifest for it would differ forever
            ByteArrayOutputStream cleaned = new ByteArrayOutputStream();
            CleanResult empty = cleaner(new ObjectStore(dir.resolve("lfs")), true)
                    .clean("empty.bin", new ByteArrayInputStream(new byte[0]), cleaned, Optional::empty);
            assertThat(cleaned.size()).isZero();
            assertThat(empty.storedWhole()).as("no notice: nothing is stored").isEmpty();
        }

        @Test
        void refusedWhenAsked() throws IOException {
            ObjectStore store = new ObjectStore(dir.resolve("lfs"));
            for (String name : new String[] {"torch-malicious.pt", "torch-legacy.pt"}) {
                assertThatThrownBy(() -> cleaner(store, true)
                                .clean(
                                        name,
                                        new ByteArrayInputStream(reference(name)),
                                        new ByteArrayOutputStream(),
                                        Optional::empty))
                        .isInstanceOf(BadCheckpointException.class)
                        .hasMessageStartingWith(name + ": refused (theta.opaque=refuse)");
            }
            assertThat(tempFiles()).isZero();
            assertThat(store.objectsDir())
                    .satisfiesAnyOf(
                            d -> assertThat(d).doesNotExist(),
                            d -> assertThat(d).isEmptyDirectory());
        }
    }

    @Test
    void truncatedCheckpointsAreRefusedLeavingNoTempFile() throws IOException {
        ObjectStore store = new ObjectStore(dir.resolve("lfs"));
        byte[] st = org.gittheta.testdata.TestCheckpoints.safetensors()
                .seed(1)
                .tensor("w", org.gittheta.tensor.DType.F32, 8, 8)
                .bytes();
        for (var c : new Object[][] {
            {"a.safetensors", st}, {"b.pt", reference("torch-zip-mixed.pt")}, {"c.gguf", reference("gguf-mixed.gguf")}
        }) {
            byte[] file = (byte[]) c[1];
            byte[] cut = Arrays.copyOf(file, file.length - 100);
            assertThatThrownBy(() -> cleaner(store, false)
                            .clean(
                                    (String) c[0],
                                    new ByteArrayInputStream(cut),
                                    new ByteArrayOutputStream(),
                                    Optional::empty))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith(c[0] + ": ");
            assertThat(tempFiles()).isZero();
        }
    }
}
