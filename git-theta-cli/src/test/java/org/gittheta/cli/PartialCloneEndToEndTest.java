package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;

/**
 * A partial clone ({@code git clone --filter=blob:none}) holds the manifests of the checked-out version only; the
 * commands that read older ones get them as git does, from the promisor remote. The source is a repository on disk
 * that allows filters: a real partial clone, no network.
 */
class PartialCloneEndToEndTest extends GitRepoFixture.WithRepo {
    private static final DemoModel MODEL = new DemoModel(32, 64, 2, 128);
    private static final String FILE = "model.safetensors";

    /** The commits of the three versions, oldest first. */
    private List<String> versions;

    private void commitThreeVersions() throws IOException {
        git.ok(repo, "git", "config", "uploadpack.allowFilter", "true");
        MODEL.write(repo.resolve(FILE), n -> false, 0, 0);
        git.ok(repo, "git", "add", FILE);
        git.ok(repo, "git", "commit", "-q", "-m", "base");
        MODEL.write(repo.resolve(FILE), n -> n.contains("layers.0."), 0.01, 3);
        git.ok(repo, "git", "commit", "-q", "-am", "tune layer 0");
        MODEL.write(repo.resolve(FILE), n -> n.contains("layers.1."), 0.01, 5);
        git.ok(repo, "git", "commit", "-q", "-am", "tune layer 1");
        versions = List.of(commit("HEAD~2"), commit("HEAD~1"), commit("HEAD"));
    }

    private String commit(String rev) throws IOException {
        return git.ok(repo, "git", "rev-parse", rev).strip();
    }

    /** A fresh partial clone of the repository, which lacks the old versions' manifests. */
    private Path partialClone(String name) throws IOException {
        git.ok(git.home, "git", "clone", "-q", "--filter=blob:none", "file://" + repo, name);
        Path clone = git.home.resolve(name);
        assertThat(missingBlobs(clone)).as("blobs the partial clone left out").isEqualTo(2);
        return clone;
    }

    /** The blobs of all history that git's object database lacks, counted without fetching them. */
    private int missingBlobs(Path clone) throws IOException {
        String listed = git.ok(clone, "git", "rev-list", "--objects", "--all", "--missing=print");
        return (int) listed.lines().filter(l -> l.startsWith("?")).count();
    }

    /** The command, with every git process it starts traced into {@code trace}. */
    private Command.Result traced(Path dir, Path trace, String... cmd) throws IOException {
        return git.command(dir, cmd).env(Map.of("GIT_TRACE", trace.toString())).run();
    }

    /** How many {@code git fetch} processes the trace saw. */
    private static long fetches(Path trace) throws IOException {
        return Files.readAllLines(trace).stream()
                .filter(l -> l.contains("built-in: git fetch"))
                .count();
    }

    @Test
    void historyCommandsReadOldVersionsThatGitFetchesInOneRequest() throws IOException {
        commitThreeVersions();

        Path logged = partialClone("logged");
        Path trace = tmp.resolve("log.trace");
        Command.Result log = traced(logged, trace, "git", "theta", "log");
        assertThat(log.exit()).as(log.err()).isZero();
        assertThat(log.out()).contains("tune layer 1", "tune layer 0", "base");
        assertThat(fetches(trace))
                .as("git fetch processes of one git theta log")
                .isEqualTo(1);
        assertThat(missingBlobs(logged)).isZero();

        Path compared = partialClone("compared");
        Command.Result diff = git.run(compared, "git", "theta", "diff", "HEAD~2", "HEAD~1");
        assertThat(diff.exit()).as(diff.err()).isZero();
        assertThat(diff.out()).contains("model.layers.0.self_attn.q_proj.weight");
        Command.Result show = git.run(compared, "git", "theta", "show", "HEAD~1:" + FILE);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("lm_head.weight");

        Path listed = partialClone("listed");
        Command.Result lsFiles = git.run(listed, "git", "theta", "ls-files", "--all", "--offline");
        assertThat(lsFiles.exit()).as(lsFiles.err()).isZero();
        for (String v : versions) assertThat(lsFiles.out()).contains(v.substring(0, 10) + "  " + FILE);

        // fetch --all reads every version's manifest: afterwards fsck --all checks what the source's does
        Path fetched = partialClone("fetched");
        Command.Result fetch = git.run(fetched, "git", "theta", "fetch", "--all");
        assertThat(fetch.exit()).as(fetch.err()).isZero();
        Command.Result fsck = git.run(fetched, "git", "theta", "fsck", "--all");
        assertThat(fsck.exit()).as(fsck.out() + fsck.err()).isZero();
        String checked = git.run(repo, "git", "theta", "fsck", "--all").err();
        assertThat(fsck.err()).isEqualTo(checked).contains("no problems");
    }

    @Test
    void withThePromisorOutOfReachAnUnreadableManifestIsReportedByPathAndCommit() throws IOException {
        commitThreeVersions();
        Path clone = partialClone("clone");
        Files.move(repo, git.home.resolve("moved"));

        Path trace = tmp.resolve("fsck.trace");
        Command.Result fsck = traced(clone, trace, "git", "theta", "fsck", "--all");
        assertThat(fsck.exit()).as(fsck.err()).isEqualTo(1);
        for (String old : versions.subList(0, 2)) {
            assertThat(fsck.out())
                    .containsPattern("bad manifest \\(" + old + ":" + FILE + "\\): git's object database lacks blob"
                            + " [0-9a-f]{40} and git could not fetch it \\(git fetch origin: fatal: .*\\)");
        }
        assertThat(fsck.err()).doesNotContain("no problems");
        assertThat(fetches(trace)).as("git fetch processes of one fsck").isEqualTo(1);

        Command.Result log = git.run(clone, "git", "theta", "log");
        assertThat(log.exit()).isEqualTo(1);
        assertThat(log.err())
                .startsWith("git-theta: " + FILE + " in " + versions.get(1) + ": git's object database lacks blob ")
                .doesNotContain("Missing unknown");

        // what the unread manifests use is unknown: gc must remove nothing
        Command.Result gc = git.run(clone, "git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).isNotZero();
        assertThat(gc.err()).contains("cannot read the manifest of " + FILE, "nothing was removed");
    }
}
