package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;

/**
 * A clone that leaves manifests (GIT_THETA_SKIP_SMUDGE), {@code git theta checkout} and {@code pull} writing the
 * files themselves, and the stat cache that answers Git's re-cleans of unchanged files, with real git.
 */
class CheckoutEndToEndTest extends RemotesGitFixture {
    private static final Map<String, String> SKIP = Map.of("GIT_THETA_SKIP_SMUDGE", "1");

    @Test
    void skippedSmudgeLeavesManifestsThatCheckoutAndPullWrite() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        git(a, "init", "-q", "-b", "main");
        git(a, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(a, "theta", "track", "*.safetensors");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> false, 0, 0);
        git(a, "add", ".");
        git(a, "commit", "-q", "-m", "base");
        git(a, "theta", "push", "--all");
        git(a, "push", "-q", "origin", "main");

        Command.Result clone = exec(SKIP, tmp, "clone", "-q", "remote.git", "c");
        assertThat(clone.exit()).as(clone.err()).isZero();
        Path c = tmp.resolve("c");
        assertThat(Files.readString(c.resolve("model.safetensors"))).startsWith("git-theta manifest");
        assertThat(StoreFiles.count(c.resolve(".git")))
                .as("nothing fetched while smudge is skipped")
                .isZero();
        assertThat(git(c, "status", "--porcelain")).isEmpty();
        assertThat(git(c, "theta", "diff"))
                .as("the manifest a skipped smudge left stands for its checkpoint, as git takes it")
                .isEmpty();

        Path stats = tmp.resolve("clean-stats");
        Map<String, String> counted = Map.of("GIT_THETA_CLEAN_STATS", stats.toString());
        Command.Result checkout = exec(counted, c, "theta", "checkout");
        assertThat(checkout.exit()).as(checkout.err()).isZero();
        assertThat(checkout.err()).contains("checked out 1 checkpoint(s)");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
                .isEqualTo(-1);
        assertThat(exec(counted, c, "status", "--porcelain").out()).isEmpty();
        assertThat(git(c, "diff")).isEmpty();
        assertThat(stats)
                .as("the index entry holds the written file's stat: git cleaned nothing again")
                .doesNotExist();
        // touched: git re-cleans it, and the stat cache knows the content checkout wrote
        Files.setLastModifiedTime(c.resolve("model.safetensors"), FileTime.from(Instant.now()));
        assertThat(exec(counted, c, "status", "--porcelain").out()).isEmpty();
        assertThat(Files.readString(stats)).isEqualTo("cached 1 full 0\n");

        // a new version: plain git pull leaves its manifest, git theta pull fetches its objects and writes it
        DemoModel.small().write(a.resolve("model.safetensors"), n -> n.contains("layers.0."), 0.01, 3);
        git(a, "commit", "-q", "-am", "tune");
        git(a, "theta", "push", "--all");
        git(a, "push", "-q", "origin", "main");
        Command.Result pull = exec(SKIP, c, "pull", "-q", "origin", "main");
        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(Files.readString(c.resolve("model.safetensors"))).startsWith("git-theta manifest");
        git(c, "theta", "pull");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
                .isEqualTo(-1);
        assertThat(git(c, "status", "--porcelain")).isEmpty();

        // an explicit path is written when missing, or again when unchanged
        Files.delete(c.resolve("model.safetensors"));
        git(c, "theta", "checkout", "model.safetensors");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
                .isEqualTo(-1);
        git(c, "theta", "checkout", "model.safetensors");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
                .isEqualTo(-1);
        assertThat(git(c, "status", "--porcelain")).isEmpty();
        // without the filter git sees a checkpoint whose stat it cannot trust changed: the missing filter is what
        // is said
        Files.setLastModifiedTime(c.resolve("model.safetensors"), FileTime.from(Instant.now()));
        Command.Result unconfigured =
                exec(Map.of(), c, "-c", "filter.theta.process=", "theta", "checkout", "model.safetensors");
        assertThat(unconfigured.exit()).isNotZero();
        assertThat(unconfigured.err().strip())
                .isEqualTo("git-theta: git-theta's filter is not configured here; run 'git theta install' first");

        // but never over a change, as git lfs checkout: that needs git checkout -- <path>
        DemoModel.small().write(c.resolve("model.safetensors"), n -> n.contains("layers.1."), 0.01, 7);
        byte[] edited = Files.readAllBytes(c.resolve("model.safetensors"));
        Command.Result refused = exec(Map.of(), c, "theta", "checkout", "model.safetensors");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err().strip())
                .isEqualTo("git-theta: model.safetensors: changed since staged, not overwritten"
                        + " ('git checkout -- <path>' discards the change, 'git add' stages it)");
        assertThat(Files.readAllBytes(c.resolve("model.safetensors"))).isEqualTo(edited);
        assertThat(git(c, "status", "--porcelain")).isEqualTo(" M model.safetensors\n");
    }

    /**
     * git stash pop with smudge skipped puts the stashed checkpoint back as its manifest, the index's being another:
     * git theta checkout writes the stashed one, a change of the work tree, not the index's.
     */
    @Test
    void checkoutWritesTheManifestAFileHoldsNotTheIndexs() throws Exception {
        Path r = committedRepo(0);
        Path model = r.resolve("model.safetensors");
        DemoModel.small().write(model, n -> n.contains("layers.0."), 0.01, 5);
        byte[] edited = Files.readAllBytes(model);
        git(r, "stash", "-q");
        assertThat(exec(SKIP, r, "stash", "pop", "-q").exit()).isZero();
        assertThat(Files.readString(model)).startsWith("git-theta manifest");

        assertThat(git(r, "theta", "diff", "--stat"))
                .as("the stashed change, parameter by parameter, not the manifest's text")
                .contains("model.safetensors | 9 of 39 parameters changed");
        Command.Result checkout = exec(Map.of(), r, "theta", "checkout");
        assertThat(checkout.exit()).as(checkout.err()).isZero();
        assertThat(Files.readAllBytes(model)).isEqualTo(edited);
        assertThat(git(r, "status", "--porcelain")).isEqualTo(" M model.safetensors\n");
    }

    /**
     * A sparse checkout keeps files outside its cone out of the work tree (their skip-worktree bit): git takes them
     * as unchanged and writes none of them, and so does git-theta.
     */
    @Test
    void aSparseCheckoutsCheckpointsOutsideItsConeAreUnchangedAndStayOut() throws Exception {
        Path r = Files.createDirectories(tmp.resolve("r"));
        git(r, "init", "-q", "-b", "main");
        git(r, "theta", "track", "*.safetensors");
        for (String dir : new String[] {"a", "b"}) {
            DemoModel.small().write(Files.createDirectories(r.resolve(dir)).resolve("m.safetensors"), n -> false, 0, 0);
        }
        git(r, "add", ".");
        git(r, "commit", "-q", "-m", "base");
        git(r, "sparse-checkout", "set", "a");
        assertThat(r.resolve("b")).doesNotExist();
        assertThat(git(r, "status", "--porcelain")).isEmpty();

        assertThat(git(r, "theta", "status"))
                .containsPattern("unchanged +unmodified +a/m.safetensors")
                .containsPattern("unchanged +unmodified +b/m.safetensors");
        assertThat(git(r, "theta", "diff")).isEmpty();
        assertThat(git(r, "theta", "diff", "HEAD")).isEmpty();
        Command.Result checkout = exec(r, "theta", "checkout");
        assertThat(checkout.exit()).as(checkout.err()).isZero();
        assertThat(exec(r, "theta", "checkout", "b/m.safetensors").err())
                .as("as git checkout -- b/m.safetensors refuses it")
                .contains("no checkpoint tracked by git-theta in the index matches b/m.safetensors");
        assertThat(r.resolve("b")).doesNotExist();
        assertThat(git(r, "ls-files", "-t", "b")).isEqualTo("S b/m.safetensors\n");
    }

    /**
     * JGit reads neither a split index nor a sparse index. git add and checkout still work (clean reuses HEAD's
     * values); the commands that read the index say so in one line.
     */
    @Test
    void aSplitOrSparseIndexStillAddsAndChecksOutAndCommandsSaySo() throws Exception {
        Path r = committedRepo(0);
        Path model = r.resolve("model.safetensors");
        byte[] base = Files.readAllBytes(model);
        git(r, "update-index", "--split-index");
        DemoModel.small().write(model, n -> n.contains("layers.0."), 0.01, 5);
        byte[] tuned = Files.readAllBytes(model);
        git(r, "commit", "-q", "-am", "tuned, in a split index");
        git(r, "checkout", "-q", "HEAD~1");
        assertThat(Files.readAllBytes(model)).isEqualTo(base);
        git(r, "checkout", "-q", "main");
        assertThat(Files.readAllBytes(model)).isEqualTo(tuned);
        assertThat(git(r, "status", "--porcelain")).isEmpty();
        Command.Result status = exec(r, "theta", "status");
        assertThat(status.exit()).isEqualTo(1);
        assertThat(status.err().lines())
                .singleElement()
                .asString()
                .contains("git-theta reads neither a split index nor a sparse index");

        git(r, "update-index", "--no-split-index");
        for (String dir : new String[] {"a", "b"}) {
            DemoModel.small().write(Files.createDirectories(r.resolve(dir)).resolve("m.safetensors"), n -> false, 0, 0);
        }
        git(r, "add", ".");
        git(r, "commit", "-q", "-m", "two more");
        git(r, "sparse-checkout", "set", "--cone", "--sparse-index", "a");
        assertThat(git(r, "ls-files", "--sparse")).as("b is one folder entry").contains("b/\n");
        DemoModel.small().write(r.resolve("a/m.safetensors"), n -> n.contains("layers.1."), 0.01, 6);
        Command.Result add = exec(r, "add", "a/m.safetensors");
        assertThat(add.exit()).as(add.err()).isZero();
    }

    @Test
    void checkoutRefreshesTheIndexThatGitIndexFileNames() throws Exception {
        Path r = committedRepo(0);
        Path model = r.resolve("model.safetensors");
        byte[] written = Files.readAllBytes(model);

        // a script's scratch index (as git stash and git commit -o use one): it, not .git/index, is refreshed
        Path alternate = tmp.resolve("scratch-index");
        Map<String, String> scratch = Map.of("GIT_INDEX_FILE", alternate.toString());
        assertThat(exec(scratch, r, "read-tree", "HEAD").exit()).isZero();
        byte[] ownIndex = Files.readAllBytes(r.resolve(".git/index"));
        byte[] scratchBefore = Files.readAllBytes(alternate);
        Files.delete(model);

        Command.Result checkout = exec(scratch, r, "theta", "checkout", "model.safetensors");
        assertThat(checkout.exit()).as(checkout.err()).isZero();
        assertThat(Files.readAllBytes(model)).isEqualTo(written);
        assertThat(Files.readAllBytes(r.resolve(".git/index")))
                .as("the repository's own index is left alone")
                .isEqualTo(ownIndex);
        assertThat(Files.readAllBytes(alternate))
                .as("the written file's stat went into the scratch index")
                .isNotEqualTo(scratchBefore);
        Path stats = tmp.resolve("clean-stats");
        Map<String, String> counted =
                Map.of("GIT_INDEX_FILE", alternate.toString(), "GIT_THETA_CLEAN_STATS", stats.toString());
        assertThat(exec(counted, r, "status", "--porcelain").out()).isEmpty();
        assertThat(stats)
                .as("git found the stat it needed in the scratch index: nothing cleaned again")
                .doesNotExist();
    }

    @Test
    void unchangedFilesAreAnsweredFromTheStatCacheAndChangedOnesNever() throws Exception {
        // a file is recorded by stat only once its last change is older than any timestamp tick
        Path r = committedRepo(1_200);
        Path model = r.resolve("model.safetensors");

        // an index without stat information makes git re-clean every file: the cache answers, nothing is hashed
        Files.delete(r.resolve(".git/index"));
        git(r, "read-tree", "HEAD");
        Path stats = tmp.resolve("clean-stats");
        Map<String, String> counted = Map.of("GIT_THETA_CLEAN_STATS", stats.toString());
        Command.Result status = exec(counted, r, "status", "--porcelain");
        assertThat(status.out()).isEmpty();
        assertThat(Files.readString(stats)).isEqualTo("cached 1 full 0\n");

        // same size, mtime put back: only ctime tells, and the change is still seen
        FileTime mtime = Files.getLastModifiedTime(model);
        long size = Files.size(model);
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer last = ByteBuffer.allocate(2);
            ch.read(last, size - 2);
            last.flip();
            ByteBuffer flipped = ByteBuffer.wrap(new byte[] {(byte) ~last.get(0), (byte) ~last.get(1)});
            ch.write(flipped, size - 2);
        }
        Files.setLastModifiedTime(model, mtime);
        assertThat(Files.size(model)).isEqualTo(size);
        Files.delete(stats);
        status = exec(counted, r, "status", "--porcelain");
        assertThat(status.out()).isEqualTo(" M model.safetensors\n");
        assertThat(Files.readString(stats)).isEqualTo("cached 0 full 1\n");

        // and git add stores the new version, never the cached old manifest
        git(r, "add", "model.safetensors");
        assertThat(git(r, "diff", "--cached", "--name-only")).isEqualTo("model.safetensors\n");
        assertThat(git(r, "diff", "--cached")).contains("-param ").contains("+param ");
    }

    @Test
    void filesGitWroteFromASmudgeAreKnownByContentAndOtherSmudgesAnswerNothing() throws Exception {
        Path r = committedRepo(0);
        Path model = r.resolve("model.safetensors");
        byte[] base = Files.readAllBytes(model);
        DemoModel.small().write(model, n -> n.contains("layers.0."), 0.01, 3);
        git(r, "commit", "-q", "-am", "tune");
        byte[] tuned = Files.readAllBytes(model);

        // git writes the base back through the smudge filter; touched, it is re-cleaned and answered by content
        git(r, "checkout", "-q", "HEAD~1");
        assertThat(Files.readAllBytes(model)).isEqualTo(base);
        Files.setLastModifiedTime(model, FileTime.from(Instant.now().plusSeconds(5)));
        Path stats = tmp.resolve("clean-stats");
        Map<String, String> counted = Map.of("GIT_THETA_CLEAN_STATS", stats.toString());
        assertThat(exec(counted, r, "status", "--porcelain").out()).isEmpty();
        assertThat(Files.readString(stats)).isEqualTo("cached 1 full 0\n");

        // a smudge whose output git did not write to the file (here to stdout) is never taken for the file's content
        git(r, "checkout", "-q", "main");
        assertThat(Files.readAllBytes(model)).isEqualTo(tuned);
        Command.Result shown = exec(Map.of(), r, "cat-file", "--filters", "HEAD~1:model.safetensors");
        assertThat(shown.exit()).as(shown.err()).isZero();
        Files.setLastModifiedTime(model, FileTime.from(Instant.now().plusSeconds(10)));
        Files.deleteIfExists(stats);
        assertThat(exec(counted, r, "status", "--porcelain").out()).isEmpty();
        assertThat(Files.readString(stats)).isEqualTo("cached 0 full 1\n");
        assertThat(git(r, "diff", "HEAD")).isEmpty();
    }

    /** A repository tracking one committed demo checkpoint, its file's last change {@code settleMillis} before. */
    private Path committedRepo(long settleMillis) throws Exception {
        Path r = Files.createDirectories(tmp.resolve("r"));
        git(r, "init", "-q", "-b", "main");
        git(r, "theta", "track", "*.safetensors");
        DemoModel.small().write(r.resolve("model.safetensors"), n -> false, 0, 0);
        Thread.sleep(settleMillis);
        git(r, "add", ".");
        git(r, "commit", "-q", "-m", "base");
        return r;
    }
}
