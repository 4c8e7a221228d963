package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;
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
        void legacyPickleAndRandomBytesAndEmptyFilesAreStoredWhole() throws IOException {
            assertThat(roundTrip("old.pt", reference("torch-legacy.pt"))
                            .storedWhole()
                            .orElseThrow())
                    .contains("legacy PyTorch pickle");
            byte[] random = new byte[3 << 20];
            new Random(7).nextBytes(random);
            assertThat(roundTrip("blob.bin", random).storedWhole()).isPresent();
            assertThat(roundTrip("empty.bin", new byte[0]).storedWhole()).isPresent();
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
