package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.gittheta.testing.FileTrees;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the git-theta process at many points of {@code git add}, {@code git checkout}, {@code git theta
 * checkout}, {@code git merge} (the merge driver and the filter that writes its result), {@code git theta fetch}
 * from a path remote and {@code git theta gc}. After each kill every object in the store is whole, {@code git theta
 * fsck} passes, and the working file is the old version or the new one, never a mix. Git itself removes a file
 * before it runs the filter that writes the new one, so after a killed {@code git checkout} or {@code git merge}
 * the file may also be absent (Git's behaviour; a checkout again writes it).
 */
class KillEndToEndTest {
    /**
     * When the kill comes: these fractions of the operation's own run time (measured first, uninterrupted, from the
     * appearance of its git-theta process to its end), so that the kills land in the work whatever the machine's load.
     */
    private static final List<Double> FRACTIONS = List.of(0.15, 0.4, 0.65, 0.9);

    private static final int NO_KILL = Integer.MAX_VALUE;

    private static final String FILE = "m.safetensors";

    @TempDir
    Path tmp;

    private GitRepoFixture git;
    private final List<String> log = new ArrayList<>();
    private int hits;
    private int midWrite;
    private boolean lastKilled;
    private String mergedBlob = "";
    /** Every version the test made, by name, to say which one a file is. */
    private final java.util.Map<String, byte[]> known = new java.util.LinkedHashMap<>();

    private static byte[] checkpoint(long seed) {
        TestCheckpoints.SafetensorsBuilder b = TestCheckpoints.safetensors().seed(seed);
        for (int i = 0; i < 4; i++) b.tensor("layers." + i + ".weight", DType.F32, 256, 512);
        return b.bytes(); // 2 MiB: long enough to be killed in the middle
    }

    @Test
    void killedAtAnyPointTheStoreStaysWholeAndFilesAreOldOrNew() throws Exception {
        git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        byte[] base = commit(repo, checkpoint(1), "base");
        git.ok(repo, "git", "branch", "theirs");
        byte[] ours = commit(repo, checkpoint(2), "ours");
        git.ok(repo, "git", "checkout", "-q", "theirs");
        commit(repo, checkpoint(3), "theirs");
        git.ok(repo, "git", "checkout", "-q", "main");
        String oursCommit = git.ok(repo, "git", "rev-parse", "HEAD").strip();
        git.ok(repo, "git", "merge", "-q", "--no-edit", "theirs");
        byte[] merged = Files.readAllBytes(repo.resolve(FILE));
        mergedBlob = blobOf(repo, "HEAD:" + FILE);
        assertThat(merged).isNotEqualTo(ours);
        git.ok(repo, "git", "reset", "-q", "--hard", oursCommit);
        Path file = repo.resolve(FILE);
        known.put("base", base);
        known.put("ours", ours);
        known.put("theirs", checkpoint(3));
        known.put("merged", merged);
        known.put("added", checkpoint(4));

        // git add of a new version: the index keeps the old manifest or gets the new one
        byte[] added = checkpoint(4);
        atKillPoints(delay -> {
            Files.write(file, added); // a new stat each time: cleaned in full, never answered from the stat cache
            long ms = killDuring("git add", delay, repo, "git", "add", FILE);
            assertAfterKill(repo, file, List.of(added), false);
            git.ok(repo, "git", "read-tree", "HEAD"); // the index as before, without re-cleaning the file
            return ms;
        });

        // git checkout of one version over the other, each way in turn
        int[] turn = {0};
        atKillPoints(delay -> {
            String rev = turn[0]++ % 2 == 0 ? oursCommit + "~1" : oursCommit;
            long ms = killDuring("git checkout", delay, repo, "git", "checkout", rev, "--", FILE);
            assertAfterKill(repo, file, List.of(base, ours), true);
            return ms;
        });
        git.ok(repo, "git", "reset", "-q", "--hard", oursCommit);

        // git theta checkout writes the file itself: a temporary file beside it, renamed into place
        String[] blobs = {blob(repo, oursCommit + "~1"), blob(repo, oursCommit)};
        atKillPoints(delay -> {
            git.ok(repo, "git", "update-index", "--cacheinfo", "100644," + blobs[turn[0]++ % 2] + "," + FILE);
            long ms = killDuring("git theta checkout", delay, repo, "git", "theta", "checkout", FILE);
            assertAfterKill(repo, file, List.of(base, ours), false);
            return ms;
        });
        git.ok(repo, "git", "reset", "-q", "--hard", oursCommit);

        // git merge: the merge driver stores the merged parameters, then the filter writes the result; a merge run
        // to the end gives the first merge's bytes every time (the random values hold NaN on both sides)
        atKillPoints(delay -> {
            long ms = killDuring("git merge", delay, repo, "git", "merge", "-q", "--no-edit", "theirs");
            assertAfterKill(repo, file, List.of(ours, merged), true);
            git.run(repo, "git", "merge", "--abort");
            git.ok(repo, "git", "reset", "-q", "--hard", oursCommit);
            return ms;
        });

        // git theta fetch from a path remote into a clone whose store is empty
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());
        git.ok(repo, "git", "push", "-q", "origin", "main", "theirs");
        Path clone = tmp.resolve("clone");
        git.env.put("GIT_THETA_SKIP_SMUDGE", "1");
        git.ok(tmp, "git", "clone", "-q", remote.toString(), clone.toString());
        git.env.remove("GIT_THETA_SKIP_SMUDGE");
        atKillPoints(delay -> {
            FileTrees.delete(clone.resolve(".git/theta/objects"));
            long ms = killDuring("git theta fetch", delay, clone, "git", "theta", "fetch", "--all");
            assertObjectsWhole(clone);
            return ms;
        });
        git.ok(clone, "git", "theta", "fetch", "--all");
        assertFsckPasses(clone);

        // git theta gc removing unreferenced objects
        Random random = new Random(5);
        atKillPoints(delay -> {
            addGarbage(repo, random, 300);
            long ms = killDuring("git theta gc", delay, repo, "git", "theta", "gc", "--prune=now");
            assertAfterKill(repo, file, List.of(ours), false);
            return ms;
        });

        System.err.println("KillEndToEndTest: " + 6 * FRACTIONS.size() + " kill points tried, " + hits
                + " killed a live git-theta process (" + midWrite + " with a temporary file being written);"
                + " all passed:\n  " + String.join("\n  ", log));
        assertThat(log).hasSize(6 * FRACTIONS.size());
        assertThat(hits).as("kills that found a git-theta process running").isGreaterThan(log.size() / 2);
    }

    /**
     * One run of an operation, killed {@code delay} ms after its git-theta process appeared; returns how long it ran.
     */
    @FunctionalInterface
    private interface Trial {
        long run(int delay) throws Exception;
    }

    /** Times the operation once uninterrupted, then kills it at each fraction of that time. */
    private static void atKillPoints(Trial trial) throws Exception {
        long full = trial.run(NO_KILL);
        for (double f : FRACTIONS) trial.run((int) (full * f));
    }

    private byte[] commit(Path repo, byte[] content, String message) throws IOException {
        return git.commit(repo, FILE, content, "-m", message);
    }

    private String blob(Path repo, String rev) throws IOException {
        return git.ok(repo, "git", "rev-parse", rev + ":" + FILE).strip();
    }

    /**
     * Runs the command, waits until a git-theta process of its appears, waits {@code delay} ms more, then kills
     * every git-theta process of the command with SIGKILL and waits for the command to end.
     */
    private long killDuring(String what, int delay, Path dir, String... cmd) throws Exception {
        // as long as the waits below take at most: a command that hangs after the kill fails the test
        Command.Running running =
                git.command(dir, cmd).timeout(Duration.ofSeconds(120)).start();
        Process p = running.process();
        long appeared = -1;
        int killed = 0;
        boolean writing = false;
        java.time.Instant started = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && System.nanoTime() < deadline) {
            List<ProcessHandle> theta = gitTheta(p);
            if (appeared < 0 && !theta.isEmpty()) appeared = System.nanoTime();
            if (started == null && !theta.isEmpty()) started = java.time.Instant.now();
            if (appeared >= 0 && System.nanoTime() - appeared >= TimeUnit.MILLISECONDS.toNanos(delay)) {
                writing = hasFilesSince(dir.resolve(".git/theta/tmp"), started);
                List<ProcessHandle> all = p.descendants().toList();
                for (ProcessHandle h : theta) {
                    if (h.destroyForcibly()) killed++;
                }
                // what the killed processes had started (a git update-index, say) runs on as orphans: the next
                // step must not race with them
                for (ProcessHandle h : all) h.onExit().get(60, TimeUnit.SECONDS);
                break;
            }
            Thread.sleep(5);
        }
        int exit = running.result().exit();
        long ran = appeared < 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - appeared);
        lastKilled = killed > 0;
        if (delay == NO_KILL) {
            assertThat(exit).as("%s, not killed", what).isZero();
            return ran;
        }
        if (killed > 0) hits++;
        if (killed > 0 && writing) midWrite++;
        log.add(what + " +" + delay + " ms: "
                + (killed > 0 ? "killed" + (writing ? " while writing" : "") + ", exit " + exit : "finished first"));
        return ran;
    }

    /** Whether a temporary file was written since {@code since}: one of the killed process's, not a leftover. */
    private static boolean hasFilesSince(Path dir, java.time.Instant since) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                try {
                    if (!Files.getLastModifiedTime(p).toInstant().isBefore(since)) return true;
                } catch (java.nio.file.NoSuchFileException e) {
                    return true; // renamed into place or removed just now: it was being written
                }
            }
            return false;
        }
    }

    private static List<ProcessHandle> gitTheta(Process p) {
        return p.descendants()
                .filter(h ->
                        h.info().commandLine().map(c -> c.contains("git-theta")).orElse(false))
                .toList();
    }

    private void assertAfterKill(Path repo, Path file, List<byte[]> allowed, boolean mayBeAbsent) throws IOException {
        assertObjectsWhole(repo);
        if (lastKilled) assertFsckPasses(repo); // an uninterrupted run is checked by the other tests
        String at = where();
        if (!Files.exists(file)) {
            assertThat(mayBeAbsent).as("%s: the working file is gone", at).isTrue();
            return;
        }
        byte[] now = Files.readAllBytes(file);
        assertThat(allowed.stream().anyMatch(b -> java.util.Arrays.equals(b, now)))
                .as(
                        "%s: the working file (%d bytes, %s) is one of the versions, not a mix",
                        at,
                        now.length,
                        known.entrySet().stream()
                                .filter(e -> java.util.Arrays.equals(e.getValue(), now))
                                .map(java.util.Map.Entry::getKey)
                                .findFirst()
                                .orElse("no known version; index " + blobOf(repo, ":" + FILE) + ", HEAD "
                                        + blobOf(repo, "HEAD:" + FILE) + ", first merge " + mergedBlob
                                        + "; fsck: " + fsckText(repo)))
                .isTrue();
    }

    private String blobOf(Path repo, String spec) {
        try {
            return git.run(repo, "git", "rev-parse", spec).out().strip();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private String fsckText(Path repo) {
        try {
            Command.Result r = git.run(repo, "git", "theta", "fsck");
            return r.exit() + " " + r.out() + r.err();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private String where() {
        return lastKilled && !log.isEmpty() ? log.getLast() : "uninterrupted run";
    }

    private void assertFsckPasses(Path repo) throws IOException {
        Command.Result fsck = git.run(repo, "git", "theta", "fsck");
        assertThat(fsck.exit())
                .as("%s: git theta fsck: %s", log.isEmpty() ? "" : where(), fsck.err())
                .isZero();
    }

    /** Every file in the store's objects directory hashes to its name. */
    private void assertObjectsWhole(Path repo) throws IOException {
        for (Path object : StoreFiles.objects(repo.resolve(".git"))) {
            String hash = HexFormat.of().formatHex(ObjectStore.sha256().digest(Files.readAllBytes(object)));
            assertThat(hash)
                    .as("%s: %s is whole", where(), object)
                    .isEqualTo(object.getFileName().toString());
        }
    }

    /** Objects nothing uses, as interrupted or abandoned adds leave them, for gc to remove. */
    private static void addGarbage(Path repo, Random random, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[1 + random.nextInt(2000)];
            random.nextBytes(bytes);
            String id = HexFormat.of().formatHex(ObjectStore.sha256().digest(bytes));
            Path p = repo.resolve(".git/theta/objects")
                    .resolve(id.substring(0, 2))
                    .resolve(id.substring(2, 4))
                    .resolve(id);
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
        }
    }
}
