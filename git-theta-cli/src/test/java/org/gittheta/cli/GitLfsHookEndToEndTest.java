package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code git lfs install} ran first and took the pre-push hook: git-theta's hook chains it, so a plain
 * {@code git push} uploads the objects of both tools. Needs the real git-lfs (.ci/run installs it); skipped, saying
 * so, without it.
 */
class GitLfsHookEndToEndTest {
    private static final Pattern OBJECT_IDS = Pattern.compile("objects=([0-9a-f]{64})");

    @TempDir
    Path tmp;

    private GitRepoFixture git;
    private Path repo;
    private Path remote;

    @BeforeEach
    void setUp() throws IOException {
        git = new GitRepoFixture(tmp); // a global install: the filter places the hook on its first run
        assumeTrue(
                git.run(tmp, "git", "lfs", "version").exit() == 0,
                "git-lfs is not installed (.ci/run installs Debian's git-lfs): skipping the hook test");
        git.ok(tmp, "git", "lfs", "install", "--skip-repo"); // git-lfs's filter for clones
        repo = git.newRepo("repo");
        git.ok(repo, "git", "lfs", "install", "--local"); // its hooks: pre-push is taken before ours is placed
        git.ok(repo, "git", "lfs", "track", "*.dat");
        remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());
    }

    private byte[][] commitBoth() throws IOException {
        byte[] checkpoint = StoreHousekeepingEndToEndTest.checkpoint(1);
        byte[] data = new byte[40_000];
        new Random(3).nextBytes(data);
        Files.write(repo.resolve("m.safetensors"), checkpoint);
        Files.write(repo.resolve("data.dat"), data);
        git.ok(repo, "git", "add", "-A");
        git.ok(repo, "git", "commit", "-q", "-m", "both");
        return new byte[][] {checkpoint, data};
    }

    /** Every parameter object of HEAD and the LFS object are on the remote, and a clone gets both files back. */
    private void assertPushCarriedBoth(byte[][] files) throws IOException {
        String manifest = git.ok(repo, "git", "cat-file", "-p", "HEAD:m.safetensors");
        Matcher m = OBJECT_IDS.matcher(manifest);
        int objects = 0;
        while (m.find()) {
            String id = m.group(1);
            assertThat(remote.resolve("theta/objects")
                            .resolve(id.substring(0, 2))
                            .resolve(id.substring(2, 4))
                            .resolve(id))
                    .as("git-theta object %s on the remote", id)
                    .isRegularFile();
            objects++;
        }
        assertThat(objects).isPositive();
        String pointer = git.ok(repo, "git", "cat-file", "-p", "HEAD:data.dat");
        String oid = pointer.lines()
                .filter(l -> l.startsWith("oid sha256:"))
                .findFirst()
                .orElseThrow()
                .substring("oid sha256:".length());
        assertThat(remote.resolve("lfs/objects")
                        .resolve(oid.substring(0, 2))
                        .resolve(oid.substring(2, 4))
                        .resolve(oid))
                .as("the git-lfs object on the remote")
                .isRegularFile();
        Path clone = tmp.resolve("clone");
        git.ok(tmp, "git", "clone", "-q", remote.toString(), clone.toString());
        GitRepoFixture.assertSameBytes(clone.resolve("m.safetensors"), files[0]);
        GitRepoFixture.assertSameBytes(clone.resolve("data.dat"), files[1]);
    }

    @Test
    void theFilterChainsGitLfsHookSoThatAPlainPushUploadsBoth() throws IOException {
        byte[][] files = commitBoth(); // the first clean runs the filter, which places our hook
        Path hooks = repo.resolve(".git/hooks");
        assertThat(Files.readString(hooks.resolve("pre-push"))).contains("# git-theta hook");
        assertThat(Files.readString(hooks.resolve("pre-push.local"))).contains("git lfs pre-push");
        git.ok(repo, "git", "push", "-q", "origin", "main");
        assertPushCarriedBoth(files);
    }

    @Test
    void installChainsGitLfsHookToo() throws IOException {
        git.ok(repo, "git", "theta", "install", "--local");
        assertThat(Files.readString(repo.resolve(".git/hooks/pre-push.local"))).contains("git lfs pre-push");
        byte[][] files = commitBoth();
        git.ok(repo, "git", "push", "-q", "origin", "main");
        assertPushCarriedBoth(files);
    }
}
