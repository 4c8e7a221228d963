package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.cli.MergeRepo.T;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint mixing tiny parameters (kept inline in the manifest) and large ones (objects), through real git: add,
 * change a tiny one, check out the old version byte-exactly, merge branches that change tiny ones, fsck, gc, clone.
 */
class InlineValuesEndToEndTest {
    private MergeRepo repo;

    @BeforeEach
    void setUp() throws IOException {
        repo = new MergeRepo();
    }

    @AfterEach
    void tearDown() throws IOException {
        repo.close();
    }

    /** w: 4 KiB and u: 260 bytes are objects; b, n and head (256 bytes, the limit) are inline. */
    private static List<T> model(double b0, double n0) {
        SplittableRandom rnd = new SplittableRandom(5);
        double[] w = new double[32 * 32], u = new double[65], head = new double[64];
        for (int i = 0; i < w.length; i++) w[i] = rnd.nextGaussian();
        for (int i = 0; i < u.length; i++) u[i] = rnd.nextGaussian();
        for (int i = 0; i < head.length; i++) head[i] = i / 8.0;
        return List.of(
                new T("w", DType.F32, Shape.of(32, 32), w),
                T.of("u", DType.F32, u),
                T.of("head", DType.F32, head),
                T.of("b", DType.F32, b0, 1, 2, 3),
                T.of("n", DType.BF16, n0, 1, 1, 1, 1, 1, 1, 1));
    }

    private byte[] commit(String message, List<T> tensors) throws IOException {
        MergeRepo.write(repo.model, tensors);
        repo.git("add", "model.safetensors");
        repo.git("commit", "-qm", message);
        return Files.readAllBytes(repo.model);
    }

    private void checkoutIsByteExact(String rev, byte[] expected) throws IOException {
        Files.delete(repo.model);
        repo.git("checkout", rev, "--", "model.safetensors");
        GitRepoFixture.assertSameBytes(repo.model, expected);
    }

    @Test
    void tinyParametersLiveInTheManifestThroughHistoryMergesHousekeepingAndClones() throws IOException {
        byte[] v1 = commit("v1", model(0, 1));
        String manifest = repo.git("cat-file", "blob", "HEAD:model.safetensors");
        assertThat(manifest).startsWith("git-theta manifest 2\n");
        assertThat(manifest.lines().filter(l -> l.contains(" update=inline values=")))
                .extracting(l -> l.split(" ")[1])
                .containsExactly("b", "head", "n");
        assertThat(manifest.lines().filter(l -> l.contains(" objects=")))
                .extracting(l -> l.split(" ")[1])
                .containsExactly("u", "w");
        assertThat(StoreFiles.count(repo.dir.resolve(".git")))
                .as("objects of w and u only")
                .isEqualTo(2);
        assertThat(repo.git("theta", "ls-files")).contains("2 dense, 3 inline");

        byte[] v2 = commit("v2: b changes", model(0.5, 1));
        String diff = repo.git("diff", "HEAD~1", "HEAD", "--", "model.safetensors");
        assertThat(diff.lines().filter(l -> l.startsWith("+param") || l.startsWith("-param")))
                .as("only b's line changed")
                .hasSize(2)
                .allMatch(l -> l.startsWith("+param b ") || l.startsWith("-param b "));
        assertThat(StoreFiles.count(repo.dir.resolve(".git")))
                .as("nothing new stored")
                .isEqualTo(2);
        assertThat(repo.git("theta", "diff", "HEAD~1", "HEAD")).contains("b");
        assertThat(repo.git("theta", "log")).contains("v2: b changes");
        assertThat(repo.git("theta", "show", "HEAD:model.safetensors")).contains("inline");

        checkoutIsByteExact("HEAD~1", v1);
        assertThat(repo.git("status", "--porcelain")).contains("model.safetensors");
        checkoutIsByteExact("HEAD", v2);
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        assertThat(repo.git("theta", "status")).contains("unchanged", "unmodified", "3 inline");

        // branches change different tiny parameters, then both change the same one: averaged from inline values
        repo.git("checkout", "-qb", "x");
        commit("x: n changes", model(0.5, 2));
        repo.git("checkout", "-q", "main");
        commit("main: b changes", model(1.5, 1));
        repo.git("merge", "--no-edit", "x");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        assertThat(merged.get("b")).isEqualTo(MergeRepo.bytes(T.of("b", DType.F32, 1.5, 1, 2, 3)));
        assertThat(merged.get("n")).isEqualTo(MergeRepo.bytes(T.of("n", DType.BF16, 2, 1, 1, 1, 1, 1, 1, 1)));
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        byte[] afterMerge = Files.readAllBytes(repo.model);

        repo.git("checkout", "-qb", "y", "HEAD~1");
        commit("y: b", model(3.5, 1));
        repo.git("checkout", "-q", "main");
        repo.git("checkout", "-qb", "z");
        commit("z: b", model(2.5, 1));
        Command.Result average = repo.exec("git", "theta", "merge", "--strategy", "average", "--no-edit", "y");
        assertThat(average.exit()).as(average.out()).isZero();
        double[] b = MergeRepo.values(MergeRepo.tensors(repo.model).get("b"), DType.F32);
        assertThat(b).containsExactly(3.0, 1, 2, 3); // (2.5 + 3.5) / 2; the other elements agree
        assertThat(repo.git("cat-file", "blob", "HEAD:model.safetensors"))
                .contains("param b dtype=F32 shape=[4] sha256=")
                .containsPattern("param b [^\\n]* update=inline values=");
        repo.git("checkout", "-q", "main");

        assertThat(repo.git("theta", "fsck", "--all")).isNotNull();
        Command.Result gc = repo.exec("git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).as(gc.out()).isZero();
        repo.git("theta", "fsck", "--all");
        checkoutIsByteExact("main~2", v2);
        checkoutIsByteExact("main~3", v1);
        checkoutIsByteExact("main", afterMerge);

        // a path remote: the clone fetches only the two objects; the inline values come with the manifests
        Path remote = repo.home.resolve("remote.git");
        repo.git("init", "-q", "--bare", remote.toString());
        repo.git("theta", "install"); // global, so that the clone has the filter
        repo.git("remote", "add", "origin", remote.toString());
        repo.git("theta", "push", "--all");
        repo.git("push", "-q", "origin", "main", "z");
        assertThat(StoreFiles.count(remote)).isEqualTo(StoreFiles.count(repo.dir.resolve(".git")));
        Command.Result clone = repo.exec(
                "git",
                "clone",
                "-q",
                "-b",
                "main",
                remote.toString(),
                repo.home.resolve("c").toString());
        assertThat(clone.exit()).as(clone.out()).isZero();
        Path c = repo.home.resolve("c");
        GitRepoFixture.assertSameBytes(c.resolve("model.safetensors"), afterMerge);
        assertThat(StoreFiles.count(c.resolve(".git"))).isEqualTo(2);
        List<String> versions = new ArrayList<>();
        for (String rev : List.of("origin/z", "HEAD~2", "HEAD~3")) {
            Command.Result r = repo.exec("git", "-C", c.toString(), "checkout", "-q", rev, "--", "model.safetensors");
            assertThat(r.exit()).as(r.out()).isZero();
            versions.add(StoreFiles.sha256(Files.readAllBytes(c.resolve("model.safetensors"))));
        }
        assertThat(versions.subList(1, 3)).containsExactly(StoreFiles.sha256(v2), StoreFiles.sha256(v1));
        Command.Result fsck = repo.exec("git", "-C", c.toString(), "theta", "fsck", "--all");
        assertThat(fsck.exit()).as(fsck.out()).isZero();
    }
}
