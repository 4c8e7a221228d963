package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A temporary world for end-to-end tests: an isolated HOME and git configuration, the project's own
 * bin/git-theta on PATH, and helpers to run real git in repositories inside it.
 */
final class GitRepoFixture {
    static final Path LAUNCHER = Path.of("").toAbsolutePath().getParent().resolve("bin/git-theta");

    final Path home;
    final Map<String, String> env = new HashMap<>();

    GitRepoFixture(Path tmp) throws IOException {
        this.home = tmp.resolve("home");
        Files.createDirectories(home);
        env.putAll(isolatedEnv(home));
        // tests run many JVMs at once; keep each filter small so memory limits are exercised too
        env.put("GIT_THETA_JAVA_OPTS", "-Xmx256m");
        ok(home, "git", "theta", "install"); // global, as a user would: clones get the filter too
    }

    /**
     * The environment every end-to-end git command runs in: no system or user configuration (the global one is
     * {@code home/gitconfig}), this project's bin/ first on PATH, a fixed author, no credential prompts.
     */
    static Map<String, String> isolatedEnv(Path home) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", home.resolve("gitconfig").toString());
        env.put("PATH", LAUNCHER.getParent() + java.io.File.pathSeparator + System.getenv("PATH"));
        env.put("GIT_TERMINAL_PROMPT", "0");
        for (String who : List.of("AUTHOR", "COMMITTER")) {
            env.put("GIT_" + who + "_NAME", "Test");
            env.put("GIT_" + who + "_EMAIL", "test@example.com");
        }
        return env;
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

    record Result(int exit, String out, String err) {
        Result assertOk() {
            assertThat(exit).as("exit status; stderr: %s", err).isZero();
            return this;
        }
    }

    Result run(Path dir, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path err = Files.createTempFile(home, "stderr", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    String ok(Path dir, String... cmd) throws IOException {
        return run(dir, cmd).assertOk().out();
    }

    /** Compares contents by hash and size, so that a failure message stays readable. */
    static void assertSameBytes(Path file, byte[] expected) throws IOException {
        assertThat(file).exists();
        byte[] actual = Files.readAllBytes(file);
        assertThat(digest(actual) + " (" + actual.length + " bytes)")
                .as("content of %s", file)
                .isEqualTo(digest(expected) + " (" + expected.length + " bytes)");
    }

    private static String digest(byte[] b) {
        return java.util.HexFormat.of()
                .formatHex(org.gittheta.store.ObjectStore.sha256().digest(b));
    }

    /** The ids of the objects in a work tree's store. */
    static java.util.Set<String> storedIds(Path repo) throws IOException {
        return storedObjects(repo).stream()
                .map(p -> p.getFileName().toString())
                .collect(java.util.stream.Collectors.toSet());
    }

    /** Where the store of the git directory {@code gitDir} (a bare repository's own folder) keeps an object. */
    static Path objectFile(Path gitDir, String id) {
        return gitDir.resolve("theta/objects")
                .resolve(id.substring(0, 2))
                .resolve(id.substring(2, 4))
                .resolve(id);
    }

    static List<Path> storedObjects(Path repo) throws IOException {
        Path objects = repo.resolve(".git/theta/objects");
        if (!Files.isDirectory(objects)) return List.of();
        try (var s = Files.walk(objects)) {
            return new ArrayList<>(s.filter(Files::isRegularFile).sorted().toList());
        }
    }
}
