package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;

/** A full disk, and the temporary files of interrupted adds, with real git. */
class StoreFailuresEndToEndTest extends GitRepoFixture.WithRepo {
    /** 1 MiB of random floats: the objects do not compress much. */
    private static byte[] checkpoint(long seed) {
        return TestCheckpoints.safetensors()
                .seed(seed)
                .tensor("a.weight", DType.F32, 256, 512)
                .tensor("b.weight", DType.F32, 256, 512)
                .bytes();
    }

    /**
     * {@code git add} with the store on a tmpfs of {@code size} (a mount namespace of our own, as an unprivileged
     * user may make one); prints the add's exit status, then {@code sha256sum} of every file left in the store.
     */
    private Command.Result addOnFullDisk(String size) throws IOException {
        return git.run(
                repo,
                "unshare",
                "-rm",
                "sh",
                "-c",
                "mount -t tmpfs -o size=" + size + " tmpfs .git/theta || exit 99; git add m.safetensors;"
                        + " echo \"add-exit=$?\"; cd .git/theta && find . -type f -exec sha256sum {} +");
    }

    @Test
    void aFullDiskFailsTheAddWithOneLineAndLeavesNoPartialObject() throws IOException {
        Files.createDirectories(repo.resolve(".git/theta"));
        assumeTrue(
                git.run(repo, "unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs .git/theta")
                                .exit()
                        == 0,
                "cannot mount a small tmpfs in a user namespace (unshare -rm) here: skipping the full-disk test");
        Files.write(repo.resolve("m.safetensors"), checkpoint(1));
        // the checkpoint streams into memory, not into the store: 256k holds no object (512 KiB each, barely
        // compressed); 700k holds the first object, not the second
        for (String size : List.of("256k", "700k")) {
            Command.Result r = addOnFullDisk(size);
            assertThat(r.out()).as("tmpfs of %s: %s", size, r.err()).containsPattern("add-exit=[1-9]");
            List<String> ours =
                    r.err().lines().filter(l -> l.startsWith("git-theta:")).toList();
            assertThat(ours).as("tmpfs of %s: %s", size, r.err()).hasSize(1);
            assertThat(ours.getFirst()).startsWith("git-theta: m.safetensors: the disk is full: cannot write ");
            assertThat(r.err())
                    .doesNotContain("Exception")
                    .doesNotContain("InternalError")
                    .doesNotContain("\tat ");
            // the dedup index's entry of an object that was stored is a whole file, renamed into place
            for (String line : r.out()
                    .lines()
                    .filter(l -> l.contains("./") && !l.contains("./values/"))
                    .toList()) {
                String[] hashAndPath = line.split("\\s+", 2);
                assertThat(hashAndPath[1])
                        .as("left in the store on a full disk")
                        .startsWith("./objects/");
                assertThat(hashAndPath[1]).endsWith("/" + hashAndPath[0]);
            }
        }
        assertThat(git.run(repo, "git", "diff", "--cached", "--quiet").exit())
                .as("nothing staged")
                .isZero();
    }

    @Test
    void temporaryFilesOfKilledAddsGoAtTheNextAddAndInGcButNotThoseOfRunningProcesses() throws Exception {
        Path temps = repo.resolve(".git/theta/tmp");
        Files.createDirectories(temps);
        // a git-theta process that is still running: what it may be writing was modified after it started
        // it reads its standard input, which stays open: it waits
        Command.Running running = git.command(
                        repo, GitRepoFixture.LAUNCHER.toString(), "hook", "pre-push", "origin", "x")
                .inputOpen()
                .start();
        try {
            Path killed = temps.resolve("obj-of-a-killed-add.tmp");
            Path writing = temps.resolve("obj-being-written.tmp");
            byte[] big = new byte[1 << 20];
            Files.write(killed, big);
            Files.write(writing, big);
            Files.setLastModifiedTime(killed, FileTime.from(Instant.now().minus(Duration.ofDays(1))));

            Files.write(repo.resolve("m.safetensors"), checkpoint(2));
            git.ok(repo, "git", "add", "m.safetensors");
            assertThat(killed).as("left by a process that no longer runs").doesNotExist();
            assertThat(writing).as("younger than a running git-theta process").exists();
        } finally {
            running.kill();
        }
        Path writing = temps.resolve("obj-being-written.tmp");
        Files.setLastModifiedTime(writing, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
        String gc = git.run(repo, "git", "theta", "gc").assertOk().err();
        assertThat(gc).contains("1 temporary files");
        assertThat(writing).doesNotExist();
        assertThat(Arrays.asList(temps.toFile().list())).isEmpty();
        assertThat(new File(repo.toFile(), "m.safetensors")).exists();
    }
}
