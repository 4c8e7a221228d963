package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;

/** The store of our own, fsck and gc, with real git. */
class StoreHousekeepingEndToEndTest extends GitRepoFixture.WithRepo {
    private static final Pattern OBJECT_IDS = Pattern.compile("objects=([0-9a-f:,]+)");

    static byte[] checkpoint(long seed) {
        return TestCheckpoints.safetensors()
                .seed(seed)
                .tensor("embed.weight", DType.F32, 64, 32)
                .tensor("layer.0.weight", DType.F32, 32, 32)
                .tensor("layer.0.bias", DType.F32, 128) // above the inline limit: every tensor is an object
                .bytes();
    }

    private byte[] commit(byte[] content, String... commitArgs) throws IOException {
        return git.commit(repo, "m.safetensors", content, commitArgs);
    }

    /** The objects a manifest lists (each parameter's whole chain). */
    private Set<String> objectsOf(String rev) throws IOException {
        String manifest = git.ok(repo, "git", "cat-file", "-p", rev + ":m.safetensors");
        Set<String> ids = new HashSet<>();
        for (Matcher m = OBJECT_IDS.matcher(manifest); m.find(); ) {
            for (String ref : m.group(1).split(",")) ids.add(ref.substring(0, 64));
        }
        assertThat(ids).isNotEmpty();
        return ids;
    }

    private Set<String> stored() throws IOException {
        return StoreFiles.objects(repo.resolve(".git")).stream()
                .map(p -> p.getFileName().toString())
                .collect(Collectors.toSet());
    }

    private Path objectFile(String id) {
        return StoreFiles.object(repo.resolve(".git"), id);
    }

    @Test
    void objectsLiveInTheirOwnDirectoryNotInGitLfs() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        for (String id : objectsOf("HEAD")) assertThat(objectFile(id)).isRegularFile();
        assertThat(repo.resolve(".git/lfs")).doesNotExist();
    }

    @Test
    void aHealthyRepositoryPassesAndAFlippedByteIsReportedMovedAsideAndRepairedByFetch() throws IOException {
        byte[] v1 = commit(checkpoint(1), "-m", "v1");
        commit(checkpoint(2), "-m", "v2");
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());
        git.ok(repo, "git", "push", "-q", "origin", "main");

        Command.Result healthy = git.run(repo, "git", "theta", "fsck");
        assertThat(healthy.exit()).as(healthy.err()).isZero();
        assertThat(healthy.err()).contains("no problems");

        String victim = objectsOf("HEAD~1").stream()
                .filter(id -> !objectsOf0("HEAD").contains(id))
                .findFirst()
                .orElseThrow();
        Path file = objectFile(victim);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes); // in place: the remote holds a copy of its own

        Command.Result broken = git.run(repo, "git", "theta", "fsck", "--json");
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.out())
                .contains("\"kind\" : \"corrupt\"")
                .contains("\"object\" : \"" + victim + "\"")
                .containsPattern("\"parameter\" : \"(embed.weight|layer.0.weight|layer.0.bias)\"")
                .contains("\"movedTo\"");
        assertThat(file).doesNotExist();
        assertThat(repo.resolve(".git/theta/bad").resolve(victim)).hasBinaryContent(bytes);
        Command.Result text = git.run(repo, "git", "theta", "fsck");
        assertThat(text.exit()).isEqualTo(1);
        assertThat(text.out()).contains("missing object " + victim).contains("parameter '");

        git.ok(repo, "git", "theta", "fetch", "--all");
        Command.Result repaired = git.run(repo, "git", "theta", "fsck", "--all");
        assertThat(repaired.exit()).as(repaired.out() + repaired.err()).isZero();
        git.ok(repo, "git", "checkout", "-q", "HEAD~1");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v1);
    }

    private Set<String> objectsOf0(String rev) {
        try {
            return objectsOf(rev);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aRepositoryWithTheOldLayoutChecksOutAndPassesFsckAfterTheUpgrade() throws IOException {
        byte[] v1 = commit(checkpoint(1), "-m", "v1");
        byte[] v2 = commit(checkpoint(2), "-m", "v2");
        // what git-theta before the move left: every object under .git/lfs/objects
        Path lfs = Files.createDirectories(repo.resolve(".git/lfs"));
        Files.move(repo.resolve(".git/theta/objects"), lfs.resolve("objects"));
        Set<String> legacy = StoreFiles.filesBelow(lfs.resolve("objects")).stream()
                .map(p -> p.getFileName().toString())
                .collect(Collectors.toSet());

        git.ok(repo, "git", "checkout", "-q", "HEAD~1");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v1);
        git.ok(repo, "git", "checkout", "-q", "main");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);
        Command.Result fsck = git.run(repo, "git", "theta", "fsck");
        assertThat(fsck.exit()).as(fsck.out() + fsck.err()).isZero();

        assertThat(stored()).as("every object is adopted").isEqualTo(legacy);
        assertThat(StoreFiles.filesBelow(lfs.resolve("objects")))
                .as("git-lfs's directory is left as it was")
                .hasSize(legacy.size());
    }

    @Test
    void gcRemovesExactlyWhatAnAmendLeftUnreachableAndNothingYoungerThanThePruneAge() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        Set<String> v1 = objectsOf("HEAD");
        byte[] v2 = commit(checkpoint(2), "--amend", "-m", "v2");
        Set<String> kept = objectsOf("HEAD");
        Set<String> garbage = new HashSet<>(v1);
        garbage.removeAll(kept);
        assertThat(garbage).isNotEmpty();
        assertThat(stored()).containsAll(garbage);

        // the reflog still holds v1
        Command.Result held = git.run(repo, "git", "theta", "gc", "--prune=now");
        assertThat(held.exit()).as(held.err()).isZero();
        assertThat(held.err()).contains("gc: removed 0 objects");
        assertThat(stored()).containsAll(garbage);

        git.ok(repo, "git", "reflog", "expire", "--expire=now", "--all");
        Set<String> before = stored();
        Command.Result young = git.run(repo, "git", "theta", "gc");
        assertThat(young.exit()).isZero();
        assertThat(young.err()).contains("removed 0 objects").contains("kept " + garbage.size() + " unused objects");
        Command.Result dry = git.run(repo, "git", "theta", "gc", "--prune=now", "--dry-run");
        assertThat(dry.exit()).isZero();
        assertThat(dry.err()).contains("would remove " + garbage.size() + " objects");
        for (String id : garbage) assertThat(dry.out()).contains("would remove " + id);
        assertThat(stored()).isEqualTo(before);

        Command.Result gc = git.run(repo, "git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.err()).containsPattern("git-theta: gc: removed " + garbage.size() + " objects, [0-9.]+ MiB");
        Set<String> after = new HashSet<>(before);
        after.removeAll(garbage);
        assertThat(stored()).isEqualTo(after);
        Files.delete(repo.resolve("m.safetensors"));
        git.ok(repo, "git", "checkout", "--", "m.safetensors");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);
        assertThat(git.run(repo, "git", "theta", "fsck", "--all").exit()).isZero();
    }

    @Test
    void gcKeepsWhatTheIndexAndTheStashUse() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        Files.write(repo.resolve("m.safetensors"), checkpoint(2));
        git.ok(repo, "git", "add", "m.safetensors");
        git.ok(repo, "git", "stash", "-q");
        Set<String> stashed = objectsOf("stash@{0}");
        Files.write(repo.resolve("m.safetensors"), checkpoint(3));
        git.ok(repo, "git", "add", "m.safetensors");
        Set<String> staged = objectsOf("");
        git.ok(repo, "git", "theta", "gc", "--prune=now");
        assertThat(stored()).containsAll(stashed).containsAll(staged);
        git.ok(repo, "git", "stash", "drop", "-q");
        git.ok(repo, "git", "reflog", "expire", "--expire=now", "--all");
        git.ok(repo, "git", "theta", "gc", "--prune=now");
        Set<String> onlyStashed = new HashSet<>(stashed);
        onlyStashed.removeAll(staged);
        onlyStashed.removeAll(objectsOf("HEAD"));
        assertThat(onlyStashed).isNotEmpty();
        assertThat(stored()).containsAll(staged).doesNotContainAnyElementsOf(onlyStashed);
    }

    /**
     * A checkpoint staged, unstaged and left in the work tree: gc takes its objects, and adding the unchanged file
     * again must store them again, not stage the manifest the stat cache remembers for it.
     */
    @Test
    void addingAFileAgainAfterGcTookItsObjectsStoresThemAgain() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        byte[] v2 = checkpoint(2);
        Files.write(repo.resolve("m.safetensors"), v2);
        git.ok(repo, "git", "add", "m.safetensors");
        Set<String> unstaged = objectsOf("");
        git.ok(repo, "git", "reset", "-q");
        git.ok(repo, "git", "theta", "gc", "--prune=now");
        assertThat(stored()).doesNotContainAnyElementsOf(unstaged);

        git.ok(repo, "git", "commit", "-q", "-am", "v2");
        assertThat(stored()).containsAll(objectsOf("HEAD"));
        Files.delete(repo.resolve("m.safetensors"));
        git.ok(repo, "git", "checkout", "--", "m.safetensors");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);
    }

    /** A branch name is any bytes git allows; a linked work tree on one that is not UTF-8 is read all the same. */
    @Test
    void gcAndFsckKeepWhatALinkedWorkTreeUsesOnABranchNamedInLatin1() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        Path other = tmp.resolve("other");
        git.ok(repo, "sh", "-c", "git worktree add -q \"$1\" -b \"$(printf 'caf\\351')\"", "sh", other.toString());
        Files.write(other.resolve("m.safetensors"), checkpoint(2));
        git.ok(other, "git", "commit", "-q", "-am", "v2 in the other work tree");
        Set<String> there = objectsOf(git.ok(other, "git", "rev-parse", "HEAD").strip());
        git.ok(repo, "git", "reflog", "expire", "--expire=now", "--all");

        Command.Result gc = git.run(repo, "git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(stored()).containsAll(there);
        Command.Result fsck = git.run(repo, "git", "theta", "fsck");
        assertThat(fsck.exit()).as(fsck.out() + fsck.err()).isZero();
    }

    @Test
    void fsckAndGcWorkBesideASubmodule() throws IOException {
        Path sub = tmp.resolve("sub");
        git.ok(tmp, "git", "init", "-q", "-b", "main", sub.toString());
        git.ok(sub, "git", "commit", "-q", "--allow-empty", "-m", "s");
        git.ok(repo, "git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.toString(), "sub");
        commit(checkpoint(1), "-m", "v1 beside a submodule");
        Set<String> old = objectsOf("HEAD");
        commit(checkpoint(2), "--amend", "-m", "v2");
        git.ok(repo, "git", "reflog", "expire", "--expire=now", "--all");

        Command.Result fsck = git.run(repo, "git", "theta", "fsck");
        assertThat(fsck.exit()).as(fsck.out() + fsck.err()).isZero();
        Command.Result gc = git.run(repo, "git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).as(gc.err()).isZero();
        old.removeAll(objectsOf("HEAD"));
        assertThat(stored()).containsAll(objectsOf("HEAD")).doesNotContainAnyElementsOf(old);
    }

    @Test
    void verifyRemoteDropsOldVersionsOnlyWhenTheRemoteHoldsThem() throws IOException {
        byte[] v1 = commit(checkpoint(1), "-m", "v1");
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());
        git.ok(repo, "git", "push", "-q", "origin", "main");
        commit(checkpoint(2), "-m", "v2 (not pushed)");
        commit(checkpoint(3), "-m", "v3 (not pushed)");
        Set<String> current = objectsOf("HEAD");
        Set<String> pushedOld = new HashSet<>(objectsOf("HEAD~2"));
        pushedOld.removeAll(current);
        Set<String> unpushedOld = new HashSet<>(objectsOf("HEAD~1"));
        unpushedOld.removeAll(current);
        unpushedOld.removeAll(objectsOf("HEAD~2"));
        assertThat(pushedOld).isNotEmpty();
        assertThat(unpushedOld).isNotEmpty();

        Command.Result gc = git.run(repo, "git", "theta", "gc", "--prune=now", "--verify-remote");
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(stored()).containsAll(current).containsAll(unpushedOld).doesNotContainAnyElementsOf(pushedOld);
        git.ok(repo, "git", "checkout", "-q", "HEAD~2");
        GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v1);
    }

    @Test
    void staleTemporaryFilesGoNewOnesStay() throws IOException {
        commit(checkpoint(1), "-m", "v1");
        Path tmpDir = Files.createDirectories(repo.resolve(".git/theta/tmp"));
        Path stale = Files.write(tmpDir.resolve("obj1.tmp"), new byte[4096]);
        Files.setLastModifiedTime(
                stale,
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofDays(30))));
        Path fresh = Files.write(tmpDir.resolve("obj2.tmp"), new byte[4096]);
        git.ok(repo, "git", "theta", "gc");
        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
        assertThat(List.of(git.run(repo, "git", "theta", "gc", "--prune=soon").err()))
                .anySatisfy(e -> assertThat(e).contains("cannot read the prune date 'soon'"));
    }
}
