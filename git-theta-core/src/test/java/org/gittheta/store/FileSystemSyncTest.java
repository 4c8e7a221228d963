package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
}
