package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writeback of objects starts as they are written, whatever came before, and the sync still makes them whole. */
class FileSystemSyncTest {
    @TempDir
    Path dir;

    @Test
    void writebackStartsForEveryObjectWrittenAfterAFileThatIsGone() throws Exception {
        ObjectStore store = new ObjectStore(dir);
        FileSystemSync.startWriteback(dir.resolve("collected-meanwhile"));
        Random random = new Random(7);
        List<ObjectId> written = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] bytes = new byte[1 << 20];
            random.nextBytes(bytes);
            written.add(store.write(out -> out.write(bytes)));
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (FileSystemSync.writebackPending() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(FileSystemSync.writebackPending()).isZero();
        store.sync();
        for (ObjectId id : written) assertThat(store.containsIntact(id)).isTrue();
    }

    /** A range of a file's clean pages leaves the page cache (as fincore, from util-linux, counts them) and its bytes stay. */
    @Test
    void aFileAboutToBeReplacedLeavesThePageCache() throws Exception {
        Path file = dir.resolve("replaced");
        byte[] bytes = new byte[4 << 20];
        new Random(3).nextBytes(bytes);
        AtomicFile.writeSynced(Files.createFile(file), out -> out.write(bytes)); // clean pages: droppable
        assertThat(cachedBytes(file)).isEqualTo(bytes.length);
        FileSystemSync.dropCached(file, 0, 2 << 20); // a whole number of the largest folios (2 MiB) of the cache
        assertThat(cachedBytes(file)).isEqualTo(2 << 20);
        FileSystemSync.dropCached(file, 0, 0); // to the end
        assertThat(cachedBytes(file)).isZero();
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        FileSystemSync.dropCached(dir.resolve("gone"), 0, 0); // nothing to drop: no failure
    }

    private static long cachedBytes(Path file) throws Exception {
        String resident = Command.of("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .run()
                .assertOk()
                .out();
        return Long.parseLong(resident.strip());
    }
}
