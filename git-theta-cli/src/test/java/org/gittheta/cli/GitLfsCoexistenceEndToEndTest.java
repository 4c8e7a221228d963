package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository that keeps checkpoints with git-theta and other large files with the real git-lfs: git-lfs's
 * housekeeping (prune, fsck, dedup, push --all, pull) leaves every git-theta version intact. .ci/run installs
 * git-lfs; without it the test is skipped, saying so.
 */
class GitLfsCoexistenceEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void gitLfsHousekeepingLeavesEveryCheckpointVersionIntact() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        assumeTrue(
                git.run(tmp, "git", "lfs", "version").exit() == 0,
                "git-lfs is not installed (.ci/run installs Debian's git-lfs): skipping the coexistence test");
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "lfs", "install", "--local");
        git.ok(repo, "git", "lfs", "track", "*.dat");
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());

        List<byte[]> versions = new ArrayList<>();
        Random random = new Random(7);
        for (int v = 1; v <= 4; v++) {
            versions.add(StoreHousekeepingEndToEndTest.checkpoint(v));
            Files.write(repo.resolve("m.safetensors"), versions.getLast());
            byte[] data = new byte[50_000];
            random.nextBytes(data);
            Files.write(repo.resolve("data.dat"), data);
            git.ok(repo, "git", "add", "-A");
            git.ok(repo, "git", "commit", "-q", "-m", "v" + v);
        }
        git.ok(repo, "git", "push", "-q", "origin", "main");
        git.ok(repo, "git", "theta", "push", "--all");
        List<Path> ours = StoreFiles.objects(repo.resolve(".git"));

        // before prune: git-lfs's push --all refuses to run once prune has removed old versions locally
        git.ok(repo, "git", "lfs", "push", "--all", "origin");
        git.ok(repo, "git", "lfs", "prune");
        assertLfsFsckOk(git, repo);
        Command.Result dedup = git.run(repo, "git", "lfs", "dedup");
        assertThat(dedup.exit() == 0 || (dedup.out() + dedup.err()).contains("does not support de-duplication"))
                .as("git lfs dedup: %s%s", dedup.out(), dedup.err())
                .isTrue();
        git.ok(repo, "git", "lfs", "pull");
        assertThat(StoreFiles.objects(repo.resolve(".git")))
                .as("git-lfs removed none of git-theta's objects")
                .isEqualTo(ours);

        for (int v = 1; v <= versions.size(); v++) {
            git.ok(repo, "git", "checkout", "-q", "HEAD~" + (versions.size() - v) + "^{commit}");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), versions.get(v - 1));
            git.ok(repo, "git", "checkout", "-q", "main");
        }
        assertLfsFsckOk(git, repo);
        assertThat(git.run(repo, "git", "theta", "fsck").exit()).isZero();
    }

    private static void assertLfsFsckOk(GitRepoFixture git, Path repo) throws IOException {
        Command.Result fsck = git.run(repo, "git", "lfs", "fsck");
        assertThat(fsck.exit()).as("git lfs fsck: %s%s", fsck.out(), fsck.err()).isZero();
        assertThat(fsck.out()).contains("Git LFS fsck OK");
    }
}
