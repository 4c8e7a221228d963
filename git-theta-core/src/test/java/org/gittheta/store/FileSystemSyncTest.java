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

    /** A file's clean pages leave the page cache (as fincore, from util-linux, counts them) and its bytes stay. */
    @Test
    void aFileAboutToBeReplacedLeavesThePageCache() throws Exception {
        Path file = dir.resolve("replaced");
        byte[] bytes = new byte[4 << 20];
        new Random(3).nextBytes(bytes);
        AtomicFile.writeSynced(Files.createFile(file), out -> out.write(bytes)); // clean pages: droppable
        assertThat(cachedBytes(file)).isPositive();
        FileSystemSync.dropCached(file);
        assertThat(cachedBytes(file)).isZero();
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        FileSystemSync.dropCached(dir.resolve("gone")); // nothing to drop: no failure
    }

    private static long cachedBytes(Path file) throws Exception {
        String resident = Command.of("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .run()
                .assertOk()
                .out();
        return Long.parseLong(resident.strip());
    }
}
