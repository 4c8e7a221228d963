package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;

/**
 * A command that reaches the heap limit the launcher gave it says so in one line, and leaves git's files alone; input
 * that would reach it for no reason is refused first.
 */
class OutOfMemoryEndToEndTest extends GitRepoFixture.WithRepo {
    private static final int PARAMS = 60_000;

    @Test
    void aMergeDriverOutOfHeapNamesTheLimitAndHowToRaiseItAndLeavesOursAsItWas() throws IOException {
        // three manifests of 60,000 parameters each: their entries need far more than a 32 MiB heap
        Path base = manifest("base", 'a', PARAMS);
        Path ours = manifest("ours", 'b', PARAMS);
        Path theirs = manifest("theirs", 'c', PARAMS);
        byte[] oursBefore = Files.readAllBytes(ours);
        git.env.put("GIT_THETA_JAVA_OPTS", "-Xmx32m");

        Command.Result r = mergeDriver(base, ours, theirs);

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .startsWith("git-theta: out of memory: the Java heap's limit of ")
                .contains("GIT_THETA_JAVA_OPTS=-Xmx1g")
                .doesNotContain("\n")
                .doesNotContain("Exception");
        assertThat(Files.readAllBytes(ours)).isEqualTo(oursBefore);
    }

    @Test
    void aBaseCommittedBeforeTheFileWasTrackedIsNamedNotReadWhole() throws IOException {
        Path base = repo.resolve("base.raw");
        try (RandomAccessFile raw = new RandomAccessFile(base.toFile(), "rw")) {
            raw.setLength(64L << 20); // the raw checkpoint: twice the heap below
        }
        Path ours = manifest("ours", 'b', 1);
        Path theirs = manifest("theirs", 'c', 1);
        git.env.put("GIT_THETA_JAVA_OPTS", "-Xmx32m");

        Command.Result r = mergeDriver(base, ours, theirs);

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .isEqualTo("git-theta: m.safetensors: the base version is not a git-theta manifest (committed before it"
                        + " was tracked?); merge it by hand, e.g. 'git checkout --ours -- m.safetensors'");
    }

    private Command.Result mergeDriver(Path base, Path ours, Path theirs) throws IOException {
        return git.run(
                repo,
                GitRepoFixture.LAUNCHER.toString(),
                "merge-driver",
                base.toString(),
                ours.toString(),
                theirs.toString(),
                "m.safetensors");
    }

    private Path manifest(String name, char object, int params) throws IOException {
        StringBuilder text = new StringBuilder("git-theta manifest 1\nformat safetensors\nsize ")
                .append(2 + 4L * params)
                .append("\nskeleton {}\n");
        String sha = "d".repeat(64);
        String oid = String.valueOf(object).repeat(64);
        for (int i = 0; i < params; i++) {
            text.append("param layers.")
                    .append(i)
                    .append(".w dtype=F32 shape=[1] sha256=")
                    .append(sha)
                    .append(" update=dense objects=")
                    .append(oid)
                    .append(":10\n");
        }
        Path file = repo.resolve(name + ".manifest");
        Files.writeString(file, text);
        return file;
    }
}
