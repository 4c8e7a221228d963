package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a git user meets first, through real git and bin/git-theta: help, man pages, track, untrack, uninstall, env. */
class CliUxEndToEndTest {
    private static final Path MAN_DIR = GitRepoFixture.LAUNCHER.getParent().resolveSibling("share/man/man1");

    @TempDir
    Path tmp;

    private static boolean manInstalled() {
        for (String dir : System.getenv("PATH").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "man"))) return true;
        }
        return false;
    }

    @Test
    void gitThetaHelpShowsTheManualPageThatInstallPlaced() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp); // installs globally
        assertThat(MAN_DIR.resolve("git-theta.1")).exists();
        assertThat(MAN_DIR.resolve("git-theta-track.1")).exists();
        Files.writeString(git.home.resolve("pages"), "");
        assertThat(git.run(git.home, "git", "theta", "man", "--output", "pages").err())
                .as("a file where the directory should be")
                .isEqualTo("git-theta: pages: file exists\n");
        assumeTrue(manInstalled(), "man is not installed (.ci/run installs man-db)");
        git.env.put("MANPAGER", "cat");
        git.env.put("PAGER", "cat");
        git.env.remove("MANPATH"); // man's default search path, as a user has it
        assertThat(git.ok(git.home, "man", "-w", "git-theta").strip())
                .isEqualTo(MAN_DIR.resolve("git-theta.1").toString());
        Command.Result help = git.run(git.home, "git", "theta", "--help");
        assertThat(help.exit()).as("git theta --help; stderr: %s", help.err()).isZero();
        // man justifies lines: compare with single spaces
        assertThat(help.out().replaceAll(" +", " "))
                .contains("NAME")
                .contains("git-theta - Model checkpoints under Git")
                .contains("COMMANDS")
                .contains("git theta uninstall");
        assertThat(git.ok(git.home, "man", "git-theta-track").replaceAll(" +", " "))
                .contains("git-theta-track - Track files");
        // picocli's own help is unchanged
        assertThat(git.ok(git.home, "git", "theta", "track", "--help")).startsWith("Usage: git-theta track");
    }

    @Test
    void withoutManGitThetaHelpStillPrintsTheHelp() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        // a PATH with git, the launcher and what it runs, but no man
        Path bin = Files.createDirectories(tmp.resolve("no-man-bin"));
        String[] tools = {"git", "bash", "sh", "env", "dirname", "readlink", "sed", "head", "find", "flock", "touch"};
        for (String tool : tools) {
            // a script rather than a link: the temporary directory is deleted without following links out of it
            Path wrapper = bin.resolve(tool);
            Files.writeString(wrapper, "#!/bin/sh\nexec " + which(tool) + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        git.env.put("PATH", GitRepoFixture.LAUNCHER.getParent() + java.io.File.pathSeparator + bin);
        git.env.put("GIT_EXEC_PATH", git.ok(git.home, "git", "--exec-path").strip());
        Command.Result help = git.run(git.home, "git", "theta", "--help");
        assertThat(help.exit()).as("stderr: %s", help.err()).isZero();
        assertThat(help.out()).startsWith("Usage: git-theta [-hV] [COMMAND]");
        assertThat(help.err()).contains("'man' is not installed");
        Command.Result other = git.run(git.home, "git", "help", "commit");
        assertThat(other.exit()).isNotZero();
        assertThat(other.err()).contains("git cannot show the manual page git-commit: install it");
    }

    private static Path which(String tool) {
        for (String dir : System.getenv("PATH").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p;
        }
        throw new IllegalStateException(tool + " is not on PATH");
    }

    @Test
    void aCommandLineThatDoesNotParseIsOneLineWithGitsExitStatus() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        String[][] usageErrors = {
            {"track", "--frob"},
            {"status", "--jsn"},
            {"gc", "--prune"},
            {"fsck", "extra"},
            {"squash", "--min-depth", "x"}
        };
        for (String[] args : usageErrors) {
            Command.Result r = git.run(repo, gitTheta(args));
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(129);
            assertThat(r.err().lines())
                    .as(String.join(" ", args))
                    .hasSize(1)
                    .allMatch(l -> l.startsWith("git-theta: "));
            assertThat(r.out()).isEmpty();
        }
        assertThat(git.run(repo, gitTheta("track", "--frob")).err())
                .isEqualTo("git-theta: unknown option '--frob' (see 'git theta track -h')\n");
        assertThat(git.run(repo, gitTheta("status", "--jsn")).err()).contains("did you mean '--json'?");

        Command.Result unknown = git.run(repo, gitTheta("trak", "x"));
        assertThat(unknown.exit()).as("as git frob").isEqualTo(1);
        assertThat(unknown.err())
                .isEqualTo("git-theta: 'trak' is not a git-theta command; did you mean 'track' or 'untrack'?"
                        + " (see 'git theta -h')\n");
    }

    private static String[] gitTheta(String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "git";
        cmd[1] = "theta";
        System.arraycopy(args, 0, cmd, 2, args.length);
        return cmd;
    }

    @Test
    void trackWithoutPatternsListsTheTrackedPatternsAndTheirFiles() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.ok(repo, "git", "theta", "track", "my model.safetensors");
        Files.createDirectories(repo.resolve("models"));
        Files.writeString(
                repo.resolve("models/.gitattributes"),
                "# checkpoints\n*.gguf filter=theta diff=theta merge=theta\n*.txt text\n");
        assertThat(git.ok(repo.resolve("models"), "git", "theta", "track")).isEqualTo("""
                Listing tracked patterns
                    *.safetensors (.gitattributes)
                    my model.safetensors (.gitattributes)
                    *.gguf (models/.gitattributes)
                """);
    }

    @Test
    void untrackRefusesWhatIsNotTrackedAndPathsThatOnlyAGlobTracks() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        String before = Files.readString(repo.resolve(".gitattributes"));

        Command.Result notTracked = git.run(repo, "git", "theta", "untrack", "*.bin");
        assertThat(notTracked.exit()).isNotZero();
        assertThat(notTracked.err()).isEqualTo("git-theta: '*.bin' is not tracked\n");

        Command.Result byGlob = git.run(repo, "git", "theta", "untrack", "models/a.safetensors");
        assertThat(byGlob.exit()).isNotZero();
        assertThat(byGlob.err())
                .isEqualTo("git-theta: 'models/a.safetensors' is not tracked by its own line; "
                        + "it matches '*.safetensors' in .gitattributes: untrack that pattern\n");
        assertThat(Files.readString(repo.resolve(".gitattributes"))).isEqualTo(before);

        Files.createDirectories(repo.resolve("models"));
        Files.writeString(repo.resolve("models/.gitattributes"), "*.gguf filter=theta diff=theta merge=theta\n");
        Command.Result inAnotherFile = git.run(repo.resolve("models"), "git", "theta", "untrack", "*.gguf");
        assertThat(inAnotherFile.exit()).isNotZero();
        assertThat(inAnotherFile.err())
                .isEqualTo("git-theta: '*.gguf' is tracked in models/.gitattributes, which untrack does not edit"
                        + " (only the top-level .gitattributes): remove its line there\n");
        Files.delete(repo.resolve("models/.gitattributes"));

        git.ok(repo, "git", "theta", "untrack", "*.safetensors");
        assertThat(Files.readString(repo.resolve(".gitattributes"))).isEmpty();
        assertThat(git.ok(repo, "git", "theta", "track")).isEqualTo("Listing tracked patterns\n");
    }

    @Test
    void uninstallRestoresTheGitConfigAndTheHookThatInstallChained() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path gitconfig = git.home.resolve("gitconfig");
        git.ok(git.home, "git", "theta", "uninstall");
        assertThat(Files.readString(gitconfig)).doesNotContain("theta");
        assertThat(MAN_DIR.resolve("git-theta.1")).doesNotExist();

        git.ok(git.home, "git", "config", "--global", "core.editor", "vi");
        String globalBefore = Files.readString(gitconfig);
        Path repo = git.home.resolve("r");
        Files.createDirectories(repo);
        git.ok(repo, "git", "init", "-q");
        Path hook = repo.resolve(".git/hooks/pre-push");
        String theirs = "#!/bin/sh\necho their pre-push\n";
        Files.writeString(hook, theirs);
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        String localBefore = Files.readString(repo.resolve(".git/config"));

        git.ok(repo, "git", "theta", "install");
        git.ok(repo, "git", "theta", "install", "--local");
        assertThat(Files.readString(hook)).contains("# git-theta hook");
        assertThat(repo.resolve(".git/hooks/pre-push.local")).hasContent(theirs);
        assertThat(MAN_DIR.resolve("git-theta.1")).exists();

        // the global install still runs the filter here: git push must still upload its objects
        assertThat(git.ok(repo, "git", "theta", "uninstall", "--local"))
                .contains("git-theta: kept the hook " + hook.toRealPath()
                        + ": the global git config still runs git-theta in this repository");
        assertThat(Files.readString(repo.resolve(".git/config"))).isEqualTo(localBefore);
        assertThat(Files.readString(hook)).contains("# git-theta hook");

        git.ok(repo, "git", "theta", "uninstall");
        assertThat(hook).hasContent(theirs);
        assertThat(repo.resolve(".git/hooks/pre-push.local")).doesNotExist();
        assertThat(Files.isExecutable(hook)).isTrue();
        assertThat(Files.readString(gitconfig)).isEqualTo(globalBefore);
        assertThat(MAN_DIR.resolve("git-theta.1")).doesNotExist();
        // twice changes nothing, is no error, and says so
        assertThat(git.ok(repo, "git", "theta", "uninstall")).contains("nothing to remove");
        assertThat(git.ok(repo, "git", "theta", "uninstall", "--local")).contains("nothing to remove");
        assertThat(Files.readString(gitconfig)).isEqualTo(globalBefore);
        assertThat(hook).hasContent(theirs);

        git.ok(git.home, "git", "theta", "install"); // leave the man pages for whoever runs next
    }

    @Test
    void envShowsVersionJavaStoreRemoteAndSettings() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path origin = git.newRepo("origin");
        git.ok(git.home, "git", "clone", "-q", origin.toString(), "clone");
        Path clone = git.home.resolve("clone");
        git.ok(clone, "git", "config", "theta.codec", "lz4");
        String env = git.ok(clone, "git", "theta", "env");
        String version = git.ok(clone, "git", "theta", "--version").strip();
        assertThat(version).matches("git-theta \\d+\\.\\d+\\.\\d+( \\(dev(, [0-9a-f]{7,})?\\))?");
        assertThat(env.lines().toList())
                .startsWith(version)
                .anyMatch(l -> l.matches("java: \\d+.* \\(/.+\\)"))
                .contains("launcher: " + GitRepoFixture.LAUNCHER)
                .contains("repository: " + clone.toRealPath())
                .contains("store: " + clone.toRealPath().resolve(".git/theta/objects"))
                .contains("remote: origin -> " + origin.toRealPath().resolve(".git"))
                .contains("  theta.codec=lz4  (local)")
                .contains("  filter.theta.required=true  (global)");

        String outside = git.ok(git.home, "git", "theta", "env");
        assertThat(outside)
                .contains("repository: none (not inside a git repository)")
                .doesNotContain("store:");
    }
}
