package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.gittheta.testing.Command;
import org.gittheta.testing.GitSandbox;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A temporary world for end-to-end tests: the shared {@link GitSandbox} with the project's own bin/git-theta first
 * on PATH and git-theta installed globally, as a user would (clones get the filter too).
 */
final class GitRepoFixture {
    static final Path LAUNCHER = Path.of("").toAbsolutePath().getParent().resolve("bin/git-theta");

    final Path home;
    /** Variables on top of the sandbox's, for one test (a pager, another PATH). */
    final Map<String, String> env = new HashMap<>();

    private final GitSandbox sandbox;

    GitRepoFixture(Path tmp) throws IOException {
        sandbox = sandbox(tmp.resolve("home"));
        home = sandbox.home();
        // tests run many JVMs at once; keep each filter small so memory limits are exercised too
        env.put("GIT_THETA_JAVA_OPTS", "-Xmx256m");
        ok(home, "git", "theta", "install");
    }

    /** An isolated git world in {@code home} where {@code git theta} is this checkout's bin/git-theta. */
    static GitSandbox sandbox(Path home) throws IOException {
        return new GitSandbox(home, LAUNCHER.getParent());
    }

    /** A fresh repository with *.safetensors tracked. */
    Path newRepo(String name) throws IOException {
        Path repo = home.resolve(name);
        Files.createDirectories(repo);
        ok(repo, "git", "init", "-q", "-b", "main");
        ok(repo, "git", "theta", "track", "*.safetensors");
        ok(repo, "git", "add", ".gitattributes");
        ok(repo, "git", "commit", "-q", "-m", "track checkpoints");
        return repo;
    }

    /** Tracks more patterns than {@link #newRepo}'s, committing the attributes as "track more". */
    void track(Path repo, String... patterns) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git", "theta", "track"));
        cmd.addAll(List.of(patterns));
        ok(repo, cmd.toArray(String[]::new));
        ok(repo, "git", "commit", "-q", "-am", "track more");
    }

    /** Writes {@code content} to {@code file}, adds it and commits with these arguments; returns the content. */
    byte[] commit(Path repo, String file, byte[] content, String... commitArgs) throws IOException {
        Files.write(repo.resolve(file), content);
        ok(repo, "git", "add", file);
        List<String> cmd = new ArrayList<>(List.of("git", "commit", "-q"));
        cmd.addAll(List.of(commitArgs));
        ok(repo, cmd.toArray(String[]::new));
        return content;
    }

    /** A command in {@code dir}, in this world; more options go on the result. */
    Command command(Path dir, String... cmd) {
        return sandbox.command(dir, cmd).env(env);
    }

    Command.Result run(Path dir, String... cmd) throws IOException {
        return command(dir, cmd).run();
    }

    String ok(Path dir, String... cmd) throws IOException {
        return run(dir, cmd).assertOk().out();
    }

    /** Compares contents by hash and size, so that a failure message stays readable. */
    static void assertSameBytes(Path file, byte[] expected) throws IOException {
        assertThat(file).exists();
        byte[] actual = Files.readAllBytes(file);
        assertThat(StoreFiles.sha256(actual) + " (" + actual.length + " bytes)")
                .as("content of %s", file)
                .isEqualTo(StoreFiles.sha256(expected) + " (" + expected.length + " bytes)");
    }

    /** For a test class whose every test starts from a fresh {@link #newRepo} {@code repo}, in its own world. */
    abstract static class WithRepo {
        @TempDir
        Path tmp;

        GitRepoFixture git;
        Path repo;

        @BeforeEach
        final void newWorldAndRepo() throws IOException {
            git = new GitRepoFixture(tmp);
            repo = git.newRepo("repo");
        }
    }
}
