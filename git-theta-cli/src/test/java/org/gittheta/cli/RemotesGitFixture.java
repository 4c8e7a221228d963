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
import org.gittheta.cli.demo.DemoModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Real git in an isolated temporary home, a bare remote on disk and a Git LFS server on loopback. */
abstract class RemotesGitFixture {

    @TempDir
    Path tmp;

    RemotesLfsServer server;

    @BeforeEach
    void start() throws Exception {
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

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    record Run(int exit, String out, String err) {}

    /** The isolated environment every git command here runs in. */
    Map<String, String> env() {
        return GitRepoFixture.isolatedEnv(tmp);
    }

    Run exec(Path dir, String... args) throws IOException, InterruptedException {
        return exec(Map.of(), dir, args);
    }

    /** git with these variables added to the isolated environment. */
    Run exec(Map<String, String> extraEnv, Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env());
        pb.environment().putAll(extraEnv);
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

    String git(Path dir, String... args) throws Exception {
        Run r = exec(dir, args);
        assertThat(r.exit()).as("git %s\n%s", String.join(" ", args), r.err()).isZero();
        return r.out();
    }

    static long storeCount(Path gitDir) throws IOException {
        return storeFiles(gitDir).count();
    }

    static long storeBytes(Path gitDir) throws IOException {
        return storeFiles(gitDir).mapToLong(p -> p.toFile().length()).sum();
    }

    private static Stream<Path> storeFiles(Path gitDir) throws IOException {
        Path objects = gitDir.resolve("theta/objects");
        if (!Files.isDirectory(objects)) return Stream.empty();
        try (Stream<Path> s = Files.walk(objects)) {
            return s.filter(Files::isRegularFile).toList().stream();
        }
    }

    /** A repository whose origin is the bare remote and whose lfs.url is the server, tracking *.safetensors. */
    Path lfsRepo(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        git(dir, "init", "-q");
        git(dir, "config", "lfs.url", server.url());
        git(dir, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(dir, "theta", "track", "*.safetensors");
        return dir;
    }

    /** Commits the small demo model as model.safetensors, with .gitattributes. */
    void commitSmallModel(Path dir) throws Exception {
        DemoModel.small().write(dir.resolve("model.safetensors"), n -> false, 0, 0);
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "base");
    }
}
