package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.DiskFullException;
import org.gittheta.store.DiskSpace;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.StoreFiles;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up at any byte of a clean: the clean fails with one line naming the file and saying the disk is
 * full, and the store holds only whole objects (no partial object, no temporary file left).
 */
class DiskFullTest {
    private static final byte[] CHECKPOINT = TestCheckpoints.safetensors()
            .seed(7)
            .tensor("embed.weight", DType.F32, 128, 64)
            .tensor("layer.0.weight", DType.F32, 64, 64)
            .tensor("layer.0.bias", DType.F32, 64)
            .tensor("layer.1.weight", DType.F32, 64, 64)
            .bytes();

    @TempDir
    Path tmp;

    private static String clean(ObjectStore store) throws IOException {
        Cleaner cleaner =
                new Cleaner(store, new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto()), Progress.NONE, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cleaner.clean("m.safetensors", new ByteArrayInputStream(CHECKPOINT), out, Optional::empty);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aDiskThatFillsAtAnyPointFailsTheCleanInOneLineAndLeavesOnlyWholeObjects() throws IOException {
        long needed = bytesWritten();
        int tried = 0;
        for (long budget = 0; budget < needed; budget += Math.max(1, needed / 37)) {
            Path dir = tmp.resolve("store-" + budget);
            ObjectStore store = new ObjectStore(dir, Optional.empty(), DiskSpace.budget(budget));
            assertThatThrownBy(() -> clean(store))
                    .as("budget %d of %d bytes", budget, needed)
                    .isInstanceOf(IOException.class)
                    .hasCauseInstanceOf(DiskFullException.class)
                    .satisfies(e -> assertThat(e.getMessage())
                            .startsWith("m.safetensors: the disk is full: cannot write ")
                            .contains(dir.resolve("tmp").toString())
                            .contains(DiskSpace.FULL)
                            .doesNotContain("\n"));
            for (Path object : StoreFiles.filesBelow(store.objectsDir())) {
                assertThat(ObjectId.fromDigest(ObjectStore.sha256().digest(Files.readAllBytes(object)))
                                .hex())
                        .as("a whole object")
                        .isEqualTo(object.getFileName().toString());
            }
            assertThat(StoreFiles.filesBelow(store.tmpDir()))
                    .as("temporary files left")
                    .isEmpty();
            tried++;
        }
        assertThat(tried).isGreaterThan(30);
    }

    @Test
    void withRoomEnoughTheSameCleanSucceeds() throws IOException {
        long needed = bytesWritten();
        ObjectStore store = new ObjectStore(tmp.resolve("roomy"), Optional.empty(), DiskSpace.budget(needed));
        assertThat(clean(store)).contains("param layer.1.weight");
    }

    /** What a clean of the checkpoint writes through the store. */
    private long bytesWritten() throws IOException {
        ObjectStore measure = new ObjectStore(tmp.resolve("measure"));
        clean(measure);
        return StoreFiles.totalSize(StoreFiles.filesBelow(measure.objectsDir()));
    }
}
