package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the filter does with content that is not what the path promises: plain blobs and fake manifests. */
class FilterContentEndToEndTest {
    private static final int MIB = 1 << 20;
    /** Larger than the filter's heap (the fixture runs it with -Xmx256m): only streaming gets it through. */
    private static final int PLAIN_MIB = 300;

    @TempDir
    Path tmp;

    /** Writes {@code mib} MiB of incompressible bytes and returns their SHA-256. */
    private static String writePlain(Path file, int mib) throws IOException {
        MessageDigest sha = ObjectStore.sha256();
        byte[] block = new byte[MIB];
        Random rnd = new Random(42);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                rnd.nextBytes(block);
                sha.update(block);
                out.write(block);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void aLargeCheckpointCommittedBeforeItWasTrackedIsStreamedThroughSmudge() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = Files.createDirectories(git.home.resolve("plain"));
        git.ok(repo, "git", "init", "-q", "-b", "main");
        Path file = repo.resolve("big.safetensors");
        String expected = writePlain(file, PLAIN_MIB);
        // stored uncompressed: git's zlib would only make the test slower
        git.ok(repo, "git", "-c", "core.looseCompression=0", "add", "big.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "checkpoint before git-theta");
        Files.delete(file); // gone before tracking starts, so that nothing re-cleans it
        git.ok(repo, "git", "theta", "track", "*.safetensors");
        git.ok(repo, "git", "add", ".gitattributes");
        git.ok(repo, "git", "commit", "-q", "-m", "track checkpoints");

        git.ok(repo, "git", "checkout", "--", "big.safetensors");
        assertThat(Files.size(file)).isEqualTo((long) PLAIN_MIB * MIB);
        assertThat(StoreFiles.sha256(file)).isEqualTo(expected);
    }

    @Test
    void cleanKeepsAValidManifestAndRefusesOneThatOnlyStartsLikeIt() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        Bf16Checkpoints.write(
                repo.resolve("m.safetensors"), Map.of("w", new float[] {1, 2}), Map.of("w", Shape.of(2)), Map.of());
        git.ok(repo, "git", "add", "m.safetensors");
        String manifest = git.ok(repo, "git", "cat-file", "blob", ":m.safetensors");

        Files.writeString(repo.resolve("copy.safetensors"), manifest); // as if checked out with the filter off
        git.ok(repo, "git", "add", "copy.safetensors");
        assertThat(git.ok(repo, "git", "cat-file", "blob", ":copy.safetensors")).isEqualTo(manifest);

        Files.writeString(repo.resolve("fake.safetensors"), "git-theta manifest 1\nformat safetensors\nnonsense\n");
        Command.Result r = git.run(repo, "git", "add", "fake.safetensors");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err())
                .contains("git-theta: fake.safetensors: starts like a git-theta manifest but is not a valid one")
                .doesNotContain("hung up");
        assertThat(git.ok(repo, "git", "ls-files", "--", "fake.safetensors")).isEmpty();
    }
}
