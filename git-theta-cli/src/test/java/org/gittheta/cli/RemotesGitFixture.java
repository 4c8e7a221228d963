package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.Command;
import org.gittheta.testing.GitSandbox;
import org.gittheta.testing.LfsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Real git in an isolated temporary home, a bare remote on disk and a Git LFS server on loopback. */
abstract class RemotesGitFixture {

    @TempDir
    Path tmp;

    LfsServer server;

    @BeforeEach
    void start() throws Exception {
        server = new LfsServer(tmp.resolve("server"));
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

    /** The isolated world every command here runs in. */
    GitSandbox sandbox() throws IOException {
        return GitRepoFixture.sandbox(tmp);
    }

    Command.Result exec(Path dir, String... args) throws IOException {
        return exec(Map.of(), dir, args);
    }

    /** git with these variables added to the isolated environment. */
    Command.Result exec(Map<String, String> extraEnv, Path dir, String... args) throws IOException {
        return sandbox().gitCommand(dir, args).env(extraEnv).run();
    }

    String git(Path dir, String... args) throws IOException {
        return sandbox().git(dir, args);
    }

    /** A repository whose origin is the bare remote and whose lfs.url is the server, tracking *.safetensors. */
    Path lfsRepo(String name) throws Exception {
        Path dir = pathRepo(name);
        git(dir, "config", "lfs.url", server.url());
        return dir;
    }

    /** A repository whose origin is the bare remote, which also takes its objects, tracking *.safetensors. */
    Path pathRepo(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        git(dir, "init", "-q");
        git(dir, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(dir, "theta", "track", "*.safetensors");
        return dir;
    }

    /** A new bare repository in the temporary directory. */
    Path bareRepo(String name) throws IOException {
        Path dir = tmp.resolve(name);
        git(tmp, "init", "-q", "--bare", dir.toString());
        return dir;
    }

    /** Commits the small demo model as model.safetensors, with .gitattributes. */
    void commitSmallModel(Path dir) throws Exception {
        DemoModel.small().write(dir.resolve("model.safetensors"), n -> false, 0, 0);
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "base");
    }
}
