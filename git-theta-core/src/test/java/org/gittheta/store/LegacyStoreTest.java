package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objects of a repository made before the store left {@code .git/lfs} are adopted, never taken from git-lfs. */
class LegacyStoreTest {
    private static final byte[] BYTES = "a parameter stored by an older git-theta".getBytes();

    @TempDir
    Path git;

    private ObjectId oldObject() throws IOException {
        return new ObjectStore(git.resolve("lfs")).write(out -> out.write(BYTES));
    }

    @Test
    void anObjectOfTheOldStoreIsLinkedIntoOursAndLeftWhereItWas() throws IOException {
        ObjectId id = oldObject();
        Path old = git.resolve("lfs/objects").resolve(id.relativePath());
        ObjectStore store = ObjectStore.inGitDir(git);
        assertThat(store.pathOf(id)).doesNotExist();
        try (Arena arena = Arena.ofConfined()) {
            assertThat(store.map(id, arena).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(BYTES);
        }
        assertThat(store.pathOf(id)).hasBinaryContent(BYTES);
        assertThat(old).as("git-lfs's directory is only read").hasBinaryContent(BYTES);
        Files.delete(old); // what 'git lfs prune' does
        assertThat(store.containsIntact(id)).isTrue();
    }

    @Test
    void objectsOnlyGitLfsHasAreNeverTouched() throws IOException {
        oldObject();
        ObjectStore store = ObjectStore.inGitDir(git);
        assertThat(store.contains(new ObjectId("0".repeat(64)))).isFalse();
        assertThat(git.resolve("theta/objects")).doesNotExist();
    }

    @Test
    void processesAdoptingAtOnceAllSucceed() throws Exception {
        ObjectId id = oldObject();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Callable<Boolean> adopt = () -> ObjectStore.inGitDir(git).containsIntact(id);
                results.add(pool.submit(adopt));
            }
            for (Future<Boolean> r : results) assertThat(r.get()).isTrue();
        } finally {
            pool.shutdown();
        }
        assertThat(ObjectStore.inGitDir(git).pathOf(id)).hasBinaryContent(BYTES);
    }
}
