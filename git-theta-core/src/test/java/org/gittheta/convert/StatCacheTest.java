package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stat cache answers only for a file whose stat and content are those it recorded. */
class StatCacheTest {
    @TempDir
    Path tmp;

    private Path file;
    private StatCache cache;
    private StatCache.Clean full;
    private byte[] v1;
    private byte[] v2;

    @BeforeEach
    void setUp() throws IOException {
        ObjectStore store = new ObjectStore(tmp.resolve("lfs"));
        Cleaner cleaner =
                new Cleaner(store, new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto()), Progress.NONE, false);
        full = (in, out) -> cleaner.clean("m.safetensors", in, out, Optional::empty);
        cache = new StatCache(store);
        file = tmp.resolve("m.safetensors");
        v1 = TestCheckpoints.safetensors()
                .seed(1)
                .tensor("w", DType.F32, 16, 16)
                .bytes();
        v2 = TestCheckpoints.safetensors()
                .seed(2)
                .tensor("w", DType.F32, 16, 16)
                .bytes();
        assertThat(v2).hasSameSizeAs(v1).isNotEqualTo(v1);
    }

    /** Writes the file and waits until it can be recorded. */
    private void writeSettled(byte[] content) throws Exception {
        Files.write(file, content);
        Thread.sleep(StatCache.SETTLED_NANOS / 1_000_000L + 50);
    }

    private String clean(InputStream content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cache.clean(file, content, out, full);
        return out.toString();
    }

    private String fullClean(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        full.clean(new ByteArrayInputStream(content), out);
        return out.toString();
    }

    @Test
    void anUnchangedFileIsAnsweredFromTheCache() throws Exception {
        Files.write(file, v1);
        // changed too recently to be trusted by its stat: recorded under its path, answered after its sums are read
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(1, 1));

        Thread.sleep(StatCache.SETTLED_NANOS / 1_000_000L + 50);
        clean(new ByteArrayInputStream(v1));
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(3, 1));
    }

    @Test
    void contentThatIsNotTheFilesIsNeverAnsweredWithTheFilesManifest() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        // git hash-object --path=m.safetensors of other content of the same size: the CRC32C tells them apart
        assertThatThrownBy(() -> clean(new ByteArrayInputStream(v2)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("m.safetensors: the content to clean is not");
        assertThat(cache.counts().cached()).isZero();
    }

    @Test
    void aFileChangedWhileStreamedIsCleanedAsItIsNow() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        InputStream changing = new ByteArrayInputStream(v1) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (pos == 0) {
                    try {
                        Files.write(file, v2);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return super.read(b, off, len);
            }
        };
        assertThat(clean(changing)).isEqualTo(fullClean(v2));
        assertThat(cache.counts().cached()).isZero();
    }

    @Test
    void aDamagedEntryIsIgnored() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        try (var entries = Files.list(tmp.resolve("lfs").resolve("stat-cache"))) {
            for (Path e : entries.toList()) {
                byte[] b = Files.readAllBytes(e);
                b[b.length - 2] ^= 1;
                Files.write(e, b);
            }
        }
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(cache.counts().cached()).isZero();
    }

    /** Gives the file a new mtime and ctime, as {@code touch} does, and waits until that stat can be recorded. */
    private void touchSettled() throws Exception {
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
        Thread.sleep(StatCache.SETTLED_NANOS / 1_000_000L + 50);
    }

    @Test
    void aTouchedFileWhoseContentIsUnchangedIsAnsweredByItsSumsAndThenByItsNewStat() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        touchSettled();
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(1, 1));
        // the new stat was recorded: the next clean needs no sums (an entry found by path alone would not do)
        try (var entries = Files.list(tmp.resolve("lfs").resolve("stat-cache"))) {
            for (Path e : entries.toList()) if (e.getFileName().toString().startsWith("path-")) Files.delete(e);
        }
        assertThat(clean(new ByteArrayInputStream(v1))).isEqualTo(fullClean(v1));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(2, 1));
    }

    @Test
    void aFileRecognisedByItsContentIsRecordedUnderItsStatAndAChangedOneIsNotRecognised() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        touchSettled();
        assertThat(cache.recorded(file)).hasValue(fullClean(v1).getBytes(StandardCharsets.UTF_8));
        assertThat(cache.recognised(file)).hasValue(fullClean(v1).getBytes(StandardCharsets.UTF_8));
        try (var entries = Files.list(tmp.resolve("lfs").resolve("stat-cache"))) {
            for (Path e : entries.toList()) if (e.getFileName().toString().startsWith("path-")) Files.delete(e);
        }
        assertThat(cache.recorded(file)).as("found by its new stat").isPresent();

        writeSettled(v2); // same size, other values
        assertThat(cache.recognised(file)).isEmpty();
        assertThat(cache.recorded(file)).isEmpty();
    }

    @Test
    void aTouchedFileWhoseContentChangedIsCleanedInFull() throws Exception {
        writeSettled(v1);
        clean(new ByteArrayInputStream(v1));
        writeSettled(v2); // same size, other values
        assertThat(clean(new ByteArrayInputStream(v2))).isEqualTo(fullClean(v2));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(0, 2));
        // and the path now stands for the new content
        touchSettled();
        assertThat(clean(new ByteArrayInputStream(v2))).isEqualTo(fullClean(v2));
        assertThat(cache.counts()).isEqualTo(new StatCache.Counts(1, 2));
    }

    @Test
    void theSumsAreOfTheWholeFile() throws Exception {
        Files.write(file, v1);
        ContentSums sums = ContentSums.of(file);
        java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
        crc32.update(v1);
        java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
        crc32c.update(v1);
        assertThat(sums).isEqualTo(new ContentSums(v1.length, (int) crc32c.getValue(), (int) crc32.getValue()));
        Files.write(file, new byte[0]);
        assertThat(ContentSums.of(file)).isEqualTo(new ContentSums(0, 0, 0));
    }

    @Test
    void theSumsOfAFileOfSeveralMappedRegionsAreOfEveryRegion() throws Exception {
        byte[] bytes = new byte[(64 << 20) * 2 + 3]; // two whole regions and a short third one
        new java.util.SplittableRandom(7).nextBytes(bytes);
        Files.write(file, bytes);
        java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
        crc32.update(bytes);
        java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
        crc32c.update(bytes);
        assertThat(ContentSums.of(file))
                .isEqualTo(new ContentSums(bytes.length, (int) crc32c.getValue(), (int) crc32.getValue()));
    }
}
