package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallAndTrackTest {
    @TempDir
    Path tmp;

    @Test
    void localInstallWritesTheFilterAndMergeDriverIntoTheRepositoryOnly() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.home.resolve("r");
        Files.createDirectories(repo);
        git.ok(repo, "git", "init", "-q");
        git.ok(repo, "git", "theta", "install", "--local");
        String local = git.ok(repo, "git", "config", "--local", "--list");
        String launcher = GitRepoFixture.LAUNCHER.toString();
        assertThat(local)
                .contains("filter.theta.process='" + launcher + "' filter-process")
                .contains("filter.theta.required=true")
                .contains("merge.theta.name=git-theta parameter merge")
                .contains("merge.theta.driver='" + launcher + "' merge-driver %O %A %B %P");
    }

    /** A user of git-theta (Python) has its settings in the same sections; its diff command would break git diff. */
    @Test
    void installRemovesWhatGitThetaPythonSetSoThatGitDiffWorks() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.commit(repo, "m.safetensors", new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'}, "-m", "empty model");
        String[][] python = {
            {"filter.theta.clean", "git-theta-filter clean %f"},
            {"filter.theta.smudge", "git-theta-filter smudge %f"},
            {"diff.theta.command", "git-theta-diff"},
            {"diff.other.command", "my-diff"}
        };
        for (String[] kv : python) git.ok(git.home, "git", "config", "--global", kv[0], kv[1]);
        Files.write(repo.resolve("m.safetensors"), new byte[] {4, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '});
        assertThat(git.run(repo, "git", "diff").exit())
                .as("the setting breaks git diff")
                .isNotZero();

        assertThat(git.ok(git.home, "git", "theta", "install"))
                .isEqualTo("git-theta: removed what git-theta (Python) had set in the global git config: "
                        + "diff.theta.command, filter.theta.clean, filter.theta.smudge\n");
        assertThat(git.ok(git.home, "git", "config", "--global", "--get-regexp", "^(diff|filter)\\."))
                .doesNotContain("git-theta-")
                .contains("diff.other.command my-diff");
        assertThat(git.ok(repo, "git", "diff")).contains("+size 12");
        assertThat(git.ok(git.home, "git", "theta", "install")).as("once").isEmpty();
    }

    @Test
    void trackIsIdempotentAndUntrackRemovesTheLine() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.ok(repo, "git", "theta", "track", "*.safetensors", "models/*.safetensors");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly(
                        "*.safetensors filter=theta diff=theta merge=theta -text -whitespace",
                        "models/*.safetensors filter=theta diff=theta merge=theta -text -whitespace");
        git.ok(repo, "git", "theta", "track", "*.safetensors");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes"))).hasSize(2);
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", "x.safetensors"))
                .isEqualTo("x.safetensors: filter: theta\n");
        git.ok(repo, "git", "theta", "untrack", "*.safetensors");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly("models/*.safetensors filter=theta diff=theta merge=theta -text -whitespace");

        // a line an earlier version wrote is brought up to date, in its place
        Files.writeString(repo.resolve(".gitattributes"), "*.bin filter=theta diff=theta merge=theta\n*.txt text\n");
        git.ok(repo, "git", "theta", "track", "*.bin");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly("*.bin filter=theta diff=theta merge=theta -text -whitespace", "*.txt text");

        // a file with CRLF line endings keeps them, and one without a final newline gets one
        Files.writeString(repo.resolve(".gitattributes"), "*.txt text\r\n*.dat -text\r\n");
        git.ok(repo, "git", "theta", "track", "*.bin");
        git.ok(repo, "git", "theta", "untrack", "*.bin");
        git.ok(repo, "git", "theta", "track", "*.gguf");
        assertThat(repo.resolve(".gitattributes"))
                .hasContent(
                        "*.txt text\r\n*.dat -text\r\n*.gguf filter=theta diff=theta merge=theta -text -whitespace\r\n");
        Files.writeString(repo.resolve(".gitattributes"), "*.txt text");
        git.ok(repo, "git", "theta", "track", "*.bin");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly("*.txt text", "*.bin filter=theta diff=theta merge=theta -text -whitespace");

        // one that is not UTF-8 (a Latin-1 comment) is named, and left as it is
        byte[] latin1 = "# caf\u00e9\n*.txt text\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(repo.resolve(".gitattributes"), latin1);
        Command.Result r = git.run(repo, "git", "theta", "track", "*.gguf");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualTo("git-theta: " + repo.toRealPath().resolve(".gitattributes")
                        + ": not UTF-8 text, which git-theta reads and writes attributes files in;"
                        + " convert it (e.g. iconv -f latin1 -t utf-8)\n");
        assertThat(repo.resolve(".gitattributes")).hasBinaryContent(latin1);
    }

    /** A pattern git would read as a comment, as several words or as a negation is escaped or refused. */
    @Test
    void patternsGitWouldMisreadAreEscapedOrRefused() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.ok(repo, "git", "theta", "track", "#1.safetensors", "tab\there.bin");
        assertThat(Files.readString(repo.resolve(".gitattributes")))
                .contains("\n\\#1.safetensors filter=theta ", "\ntab[[:space:]]here.bin filter=theta ");
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", "#1.bin", "tab\there.bin"))
                .isEqualTo("#1.bin: filter: unspecified\n\"tab\\there.bin\": filter: theta\n");
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", "#1.safetensors"))
                .isEqualTo("#1.safetensors: filter: theta\n");
        assertThat(git.ok(repo, "git", "theta", "track")).contains("    #1.safetensors (.gitattributes)\n");
        git.ok(repo, "git", "theta", "untrack", "#1.safetensors");
        assertThat(Files.readString(repo.resolve(".gitattributes"))).doesNotContain("#1");

        String before = Files.readString(repo.resolve(".gitattributes"));
        Command.Result negative = git.run(repo, "git", "theta", "track", "*.bin", "!small.bin");
        assertThat(negative.exit()).isEqualTo(1);
        assertThat(negative.err())
                .isEqualTo("git-theta: '!small.bin': git ignores negative patterns in .gitattributes;"
                        + " a name that starts with '!' is written '\\!small.bin'\n");
        assertThat(Files.readString(repo.resolve(".gitattributes"))).isEqualTo(before);
    }

    /**
     * A pattern with a slash is relative to where it is typed, as git-lfs takes it, for track and untrack; one without
     * matches anywhere.
     */
    @Test
    void patternsTypedInASubdirectoryTrackWhatTheyNameThere() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        Path models = Files.createDirectories(repo.resolve("models"));
        git.ok(models, "git", "theta", "track", "enc/*.pt", "*.gguf", "/top.bin");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly(
                        "*.safetensors filter=theta diff=theta merge=theta -text -whitespace",
                        "models/enc/*.pt filter=theta diff=theta merge=theta -text -whitespace",
                        "*.gguf filter=theta diff=theta merge=theta -text -whitespace",
                        "/top.bin filter=theta diff=theta merge=theta -text -whitespace");
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", "models/enc/m.pt", "enc/m.pt"))
                .isEqualTo("models/enc/m.pt: filter: theta\nenc/m.pt: filter: unspecified\n");

        // untrack takes the pattern as track took it, where it is typed
        git.ok(models, "git", "theta", "untrack", "enc/*.pt", "/top.bin");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly(
                        "*.safetensors filter=theta diff=theta merge=theta -text -whitespace",
                        "*.gguf filter=theta diff=theta merge=theta -text -whitespace");
    }

    /**
     * core.autocrlf converts text to CRLF into the work tree and the smudge filter: the line track writes keeps it
     * off manifests, and a manifest git converted all the same (under a line an earlier track wrote) is taken as git
     * stores it. git diff --check finds no trailing whitespace in the skeleton line's header padding.
     */
    @Test
    void checkoutsAreByteExactWithCoreAutocrlf() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.ok(repo, "git", "config", "core.autocrlf", "true");
        Path model = repo.resolve("model.safetensors");
        DemoModel.small().write(model, n -> false, 0, 0);
        byte[] written = Files.readAllBytes(model);
        Command.Result add = git.run(repo, "git", "add", "model.safetensors");
        assertThat(add.err()).as("no line-ending warning").doesNotContain("CRLF");
        git.ok(repo, "git", "commit", "-q", "-m", "model");
        assertThat(git.run(repo, "git", "diff", "--check", "HEAD~1", "HEAD").exit())
                .isZero();
        Files.delete(model);
        git.ok(repo, "git", "checkout", "--", "model.safetensors");
        assertThat(Files.readAllBytes(model)).isEqualTo(written);

        Files.writeString(repo.resolve(".gitattributes"), "*.safetensors filter=theta diff=theta merge=theta\n");
        git.ok(repo, "git", "commit", "-q", "-am", "the line an earlier track wrote");
        Files.delete(model);
        git.ok(repo, "git", "checkout", "--", "model.safetensors");
        assertThat(Files.readAllBytes(model)).isEqualTo(written);
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
    }

    @Test
    void everyCommandHasHelpAndVersionWorks() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        assertThat(git.ok(git.home, "git", "theta", "--version")).startsWith("git-theta ");
        for (String cmd : new String[] {"install", "track", "untrack", "filter-process", "demo"}) {
            assertThat(git.ok(git.home, "git", "theta", cmd, "--help")).as(cmd).contains("Usage: git-theta " + cmd);
        }
        assertThat(git.ok(git.home, "git", "theta", "help", "track")).contains("Usage: git-theta track");
    }
}
