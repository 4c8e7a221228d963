package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two git commands on one store at the same time, with real git: both succeed, and the store stays whole. */
class ConcurrencyEndToEndTest {
    private static final Pattern OBJECT_IDS = Pattern.compile("objects=([0-9a-f:,]+)");

    @TempDir
    Path tmp;

    private GitRepoFixture git;

    @BeforeEach
    void setUp() throws IOException {
        git = new GitRepoFixture(tmp);
    }

    private static final byte[] SHARED = TestCheckpoints.safetensors()
            .seed(99)
            .tensor("shared.weight", DType.F32, 256, 128)
            .data("shared.weight");

    /** One tensor the same for every seed (both commands store that object at once), two of its own. */
    private static byte[] checkpoint(long seed) {
        return TestCheckpoints.safetensors()
                .seed(seed)
                .tensor("shared.weight", DType.F32, Shape.of(256, 128), SHARED)
                .tensor("own.0.weight", DType.F32, 256, 256)
                .tensor("own.1.weight", DType.F32, 256, 256)
                .bytes();
    }

    /** Runs both at once; each must succeed. */
    private static void atOnce(Callable<String> a, Callable<String> b) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> both = pool.invokeAll(List.of(a, b));
            for (Future<String> f : both) f.get();
        } finally {
            pool.shutdown();
        }
    }

    private Set<String> objectsOf(Path repo, String rev) throws IOException {
        String manifest = git.ok(repo, "git", "cat-file", "-p", rev + ":m.safetensors");
        Matcher m = OBJECT_IDS.matcher(manifest);
        return m.results()
                .flatMap(r -> java.util.Arrays.stream(r.group(1).split(",")))
                .map(ref -> ref.substring(0, 64))
                .collect(Collectors.toSet());
    }

    private static void assertWhole(Path storeObjects, Set<String> ids) throws IOException {
        for (String id : ids) {
            Path p = storeObjects
                    .resolve(id.substring(0, 2))
                    .resolve(id.substring(2, 4))
                    .resolve(id);
            assertThat(p).as("object %s", id).isRegularFile();
            assertThat(HexFormat.of().formatHex(ObjectStore.sha256().digest(Files.readAllBytes(p))))
                    .isEqualTo(id);
        }
    }

    @Test
    void twoAddsInTwoWorktreesOfOneRepositoryAtOnceBothSucceed() throws Exception {
        Path repo = git.newRepo("repo");
        Path other = tmp.resolve("other");
        git.ok(repo, "git", "worktree", "add", "-q", "-b", "other", other.toString());
        byte[] a = checkpoint(1);
        byte[] b = checkpoint(2);
        Files.write(repo.resolve("m.safetensors"), a);
        Files.write(other.resolve("m.safetensors"), b);

        atOnce(() -> git.ok(repo, "git", "add", "m.safetensors"), () -> git.ok(other, "git", "add", "m.safetensors"));

        git.ok(repo, "git", "commit", "-q", "-m", "a");
        git.ok(other, "git", "commit", "-q", "-m", "b");
        for (Path wt : List.of(repo, other)) {
            Command.Result fsck = git.run(wt, "git", "theta", "fsck");
            assertThat(fsck.exit()).as(fsck.err()).isZero();
        }
        Path store = repo.resolve(".git/theta/objects");
        assertWhole(store, objectsOf(repo, "main"));
        assertWhole(store, objectsOf(repo, "other"));
        Files.delete(repo.resolve("m.safetensors"));
        Files.delete(other.resolve("m.safetensors"));
        git.ok(repo, "git", "checkout", "--", "m.safetensors");
        git.ok(other, "git", "checkout", "--", "m.safetensors");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), a);
        GitRepoFixture.assertSameBytes(other.resolve("m.safetensors"), b);
    }

    @Test
    void twoClonesPushingToOnePathRemoteAtOnceBothSucceed() throws Exception {
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", remote.toString());
        Path seed = git.newRepo("seed");
        git.ok(seed, "git", "remote", "add", "origin", remote.toString());
        git.ok(seed, "git", "push", "-q", "origin", "main");
        Path one = tmp.resolve("one");
        Path two = tmp.resolve("two");
        git.ok(tmp, "git", "clone", "-q", remote.toString(), one.toString());
        git.ok(tmp, "git", "clone", "-q", remote.toString(), two.toString());
        Files.write(one.resolve("m.safetensors"), checkpoint(3));
        Files.write(two.resolve("m.safetensors"), checkpoint(4));
        for (Path clone : List.of(one, two)) {
            git.ok(clone, "git", "add", "m.safetensors");
            git.ok(clone, "git", "commit", "-q", "-m", clone.getFileName().toString());
        }

        atOnce(
                () -> git.ok(one, "git", "push", "-q", "origin", "HEAD:refs/heads/one"),
                () -> git.ok(two, "git", "push", "-q", "origin", "HEAD:refs/heads/two"));

        Path remoteStore = remote.resolve("theta/objects");
        assertWhole(remoteStore, objectsOf(one, "HEAD"));
        assertWhole(remoteStore, objectsOf(two, "HEAD"));
        Path check = tmp.resolve("check");
        git.ok(tmp, "git", "clone", "-q", "-b", "two", remote.toString(), check.toString());
        GitRepoFixture.assertSameBytes(check.resolve("m.safetensors"), checkpoint(4));
        git.ok(check, "git", "theta", "fetch", "--all"); // branch one's objects too, verified on the way
        Command.Result fsck = git.run(check, "git", "theta", "fsck");
        assertThat(fsck.exit()).as(fsck.err()).isZero();
    }
}
