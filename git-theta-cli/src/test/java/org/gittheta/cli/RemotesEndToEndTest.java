package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push through the pre-push hook to a real Git LFS server, clone elsewhere, get the same bytes back. */
class RemotesEndToEndTest {
    private static final Path BIN = Path.of("").toAbsolutePath().getParent().resolve("bin");

    @TempDir Path tmp;
    private RemotesLfsServer server;

    @BeforeEach void start() throws Exception {
        server = new RemotesLfsServer(tmp.resolve("server"));
        Files.writeString(tmp.resolve("gitconfig"), """
                [user]
                \tname = T
                \temail = t@example.com
                [init]
                \tdefaultBranch = main
                [credential]
                \thelper = "!f() { echo username=u; echo password=p; }; f"
                """);
        git(tmp, "theta", "install");
        git(tmp, "init", "-q", "--bare", "remote.git");
    }

    @AfterEach void stop() throws Exception { server.close(); }

    record Run(int exit, String out, String err) {}

    private Run exec(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        env.put("HOME", tmp.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", tmp.resolve("gitconfig").toString());
        env.put("GIT_TERMINAL_PROMPT", "0");
        env.put("PATH", BIN + ":" + System.getenv("PATH"));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err.join());
    }

    private String git(Path dir, String... args) throws Exception {
        Run r = exec(dir, args);
        assertThat(r.exit()).as("git %s\n%s", String.join(" ", args), r.err()).isZero();
        return r.out();
    }

    private static long storeCount(Path gitDir) throws IOException {
        Path objects = gitDir.resolve("lfs/objects");
        if (!Files.isDirectory(objects)) return 0;
        try (Stream<Path> s = Files.walk(objects)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test void pushThroughTheHookThenCloneGivesTheSameBytes() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        git(a, "init", "-q");
        git(a, "theta", "install", "--local");
        assertThat(Files.readString(a.resolve(".git/hooks/pre-push"))).contains("git-theta hook");
        git(a, "config", "lfs.url", server.url());
        git(a, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(a, "theta", "track", "*.safetensors");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> false, 0, 0);
        git(a, "add", ".gitattributes", "model.safetensors");
        git(a, "commit", "-q", "-m", "base");
        git(a, "push", "-q", "origin", "main");
        long pushed = server.objectCount();
        assertThat(pushed).isEqualTo(storeCount(a.resolve(".git"))).isPositive();
        assertThat(storeCount(tmp.resolve("remote.git"))).as("objects went to the LFS server, not the bare repository").isZero();

        git(tmp, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
        Path b = tmp.resolve("b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors"))).isEqualTo(-1);
        assertThat(Files.readString(b.resolve(".git/hooks/pre-push"))).as("the filter placed the hook").contains("git-theta hook");

        // a fine-tune pushed from the clone reaches the first repository through git pull's on-demand fetch
        DemoModel.small().write(b.resolve("model.safetensors"), n -> n.contains("layers.1."), 0.01, 7);
        git(b, "commit", "-q", "-am", "tune");
        git(b, "push", "-q", "origin", "main");
        assertThat(server.objectCount()).isGreaterThan(pushed);
        git(a, "pull", "-q", "origin", "main");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors"))).isEqualTo(-1);
    }

    @Test void fetchPullAndPushCommands() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        git(a, "init", "-q");
        git(a, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(a, "theta", "track", "*.safetensors");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> false, 0, 0);
        git(a, "add", ".");
        git(a, "commit", "-q", "-m", "base");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> n.contains("layers.0."), 0.01, 3);
        git(a, "commit", "-q", "-am", "tune");
        // no lfs.url: a path remote keeps the objects in the bare repository's own lfs/objects
        git(a, "theta", "push", "--all");
        git(a, "push", "-q", "origin", "main");
        assertThat(storeCount(tmp.resolve("remote.git"))).isEqualTo(storeCount(a.resolve(".git")));

        // a clone made without the filter holds manifests; pull fetches the latest version's objects and writes the file
        Run clone = exec(tmp, "-c", "filter.theta.process=", "-c", "filter.theta.required=false", "clone", "-q", "remote.git", "c");
        assertThat(clone.exit()).as(clone.err()).isZero();
        Path c = tmp.resolve("c");
        assertThat(Files.readString(c.resolve("model.safetensors"))).startsWith("git-theta manifest");
        git(c, "theta", "pull");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors"))).isEqualTo(-1);
        long latest = storeCount(c.resolve(".git"));
        assertThat(latest).isLessThan(storeCount(a.resolve(".git")));
        git(c, "theta", "fetch", "--all");
        assertThat(storeCount(c.resolve(".git"))).isEqualTo(storeCount(a.resolve(".git")));
        assertThat(git(c, "status", "--porcelain")).isEmpty();
    }
}
