package org.gittheta.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.GitSandbox;
import org.gittheta.testing.LfsServer;
import org.gittheta.testing.StoreFiles;

/**
 * Push and clone through a Git LFS server on loopback, for docs/performance.md (command there). Args: an empty work
 * directory, then {@code large} for a 1 GiB checkpoint instead of 272 MiB; runs {@code git} and {@code git theta}
 * from the PATH.
 */
public final class RemotesBench {
    private RemotesBench() {}

    public static void main(String[] a) throws Exception {
        Path work = Path.of(a[0]);
        boolean large = a.length > 1 && a[1].equals("large");
        pushAndClone(work.resolve("push-and-clone"), large);
        cloneFetchesOnlyTheLatestOfFiveVersions(work.resolve("five-versions"));
    }

    private static void pushAndClone(Path work, boolean large) throws Exception {
        GitSandbox git = sandbox(work);
        try (LfsServer server = new LfsServer(work.resolve("server"))) {
            Path a = lfsRepo(git, server, "a");
            DemoModel model = large ? new DemoModel(2048, 5632, 8, 32000) : new DemoModel(1024, 2816, 6, 32000);
            model.write(a.resolve("model.safetensors"), n -> false, 0, 0);
            long fileBytes = Files.size(a.resolve("model.safetensors"));
            git.git(a, "add", ".");
            git.git(a, "commit", "-q", "-m", "base");
            long t0 = System.nanoTime();
            git.git(a, "push", "-q", "origin", "main");
            long t1 = System.nanoTime();
            git.git(work, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
            long t2 = System.nanoTime();
            sameBytes(a.resolve("model.safetensors"), work.resolve("b/model.safetensors"));
            System.out.printf(
                    "BENCH checkpoint %.1f MiB; server holds %d objects, %.1f MiB; push %.1f s; clone %.1f s%n",
                    fileBytes / 1048576.0,
                    server.objectCount(),
                    server.bytes() / 1048576.0,
                    (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9);
        }
    }

    private static void cloneFetchesOnlyTheLatestOfFiveVersions(Path work) throws Exception {
        GitSandbox git = sandbox(work);
        try (LfsServer server = new LfsServer(work.resolve("server"))) {
            Path a = lfsRepo(git, server, "a");
            git.git(a, "add", ".gitattributes");
            for (int v = 0; v < 5; v++) {
                String tuned = "layers." + (v - 1) + ".";
                DemoModel.small().write(a.resolve("model.safetensors"), n -> n.contains(tuned), 0.01, v);
                git.git(a, "add", "model.safetensors");
                git.git(a, "commit", "-q", "-m", "v" + v);
            }
            git.git(a, "push", "-q", "origin", "main");
            git.git(work, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
            sameBytes(a.resolve("model.safetensors"), work.resolve("b/model.safetensors"));
            System.out.printf(
                    "BENCH 5 versions: server %d objects, %.2f MiB; clone of the latest fetched %d objects, %.2f MiB%n",
                    server.objectCount(),
                    server.bytes() / 1048576.0,
                    StoreFiles.count(work.resolve("b/.git")),
                    StoreFiles.bytes(work.resolve("b/.git")) / 1048576.0);
        }
    }

    /** git-theta installed in an isolated home whose credential helper answers the server's u:p; a bare remote. */
    private static GitSandbox sandbox(Path work) throws Exception {
        GitSandbox git = new GitSandbox(work);
        Files.writeString(work.resolve("gitconfig"), """
                [init]
                \tdefaultBranch = main
                [credential]
                \thelper = "!f() { echo username=u; echo password=p; }; f"
                """);
        git.git(work, "theta", "install");
        git.git(work, "init", "-q", "--bare", "remote.git");
        return git;
    }

    /** A repository whose origin is the bare remote and whose lfs.url is the server, tracking *.safetensors. */
    private static Path lfsRepo(GitSandbox git, LfsServer server, String name) throws Exception {
        Path dir = git.newRepo(name);
        git.git(dir, "config", "lfs.url", server.url());
        git.git(dir, "remote", "add", "origin", git.home().resolve("remote.git").toString());
        git.git(dir, "theta", "track", "*.safetensors");
        return dir;
    }

    private static void sameBytes(Path a, Path b) throws Exception {
        if (Files.mismatch(a, b) != -1) throw new IllegalStateException(b + " differs from " + a);
    }
}
