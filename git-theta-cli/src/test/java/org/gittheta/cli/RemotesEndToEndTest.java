package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.testing.Command;
import org.gittheta.testing.LfsServer;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Push through the pre-push hook to a real Git LFS server, clone elsewhere, get the same bytes back. */
class RemotesEndToEndTest extends RemotesGitFixture {
    @Test
    void pushThroughTheHookThenCloneGivesTheSameBytes() throws Exception {
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
        assertThat(pushed).isEqualTo(StoreFiles.count(a.resolve(".git"))).isPositive();
        assertThat(StoreFiles.count(tmp.resolve("remote.git")))
                .as("objects went to the LFS server, not the bare repository")
                .isZero();

        git(tmp, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
        Path b = tmp.resolve("b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")))
                .isEqualTo(-1);
        assertThat(Files.readString(b.resolve(".git/hooks/pre-push")))
                .as("the filter placed the hook")
                .contains("git-theta hook");

        // a fine-tune pushed from the clone reaches the first repository through git pull's on-demand fetch
        DemoModel.small().write(b.resolve("model.safetensors"), n -> n.contains("layers.1."), 0.01, 7);
        git(b, "commit", "-q", "-am", "tune");
        git(b, "push", "-q", "origin", "main");
        assertThat(server.objectCount()).isGreaterThan(pushed);
        git(a, "pull", "-q", "origin", "main");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")))
                .isEqualTo(-1);
    }

    @Test
    void fetchPullAndPushCommands() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        git(a, "init", "-q");
        git(a, "remote", "add", "origin", tmp.resolve("remote.git").toString());
        git(a, "theta", "track", "*.safetensors");
        // every version stored whole, so that the old version's objects are not needed by the latest one
        git(a, "config", "theta.maxChainDepth", "0");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> false, 0, 0);
        git(a, "add", ".");
        git(a, "commit", "-q", "-m", "base");
        DemoModel.small().write(a.resolve("model.safetensors"), n -> n.contains("layers.0."), 0.01, 3);
        git(a, "commit", "-q", "-am", "tune");
        // no lfs.url: a path remote keeps the objects in the bare repository's own lfs/objects
        git(a, "theta", "push", "--all");
        git(a, "push", "-q", "origin", "main");
        assertThat(StoreFiles.count(tmp.resolve("remote.git"))).isEqualTo(StoreFiles.count(a.resolve(".git")));

        // a clone made without the filter holds manifests; pull fetches the latest version's objects and writes the
        // file
        Command.Result clone = exec(
                tmp,
                "-c",
                "filter.theta.process=",
                "-c",
                "filter.theta.required=false",
                "clone",
                "-q",
                "remote.git",
                "c");
        assertThat(clone.exit()).as(clone.err()).isZero();
        Path c = tmp.resolve("c");
        assertThat(Files.readString(c.resolve("model.safetensors"))).startsWith("git-theta manifest");
        git(c, "theta", "pull");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
                .isEqualTo(-1);
        long latest = StoreFiles.count(c.resolve(".git"));
        assertThat(latest).isLessThan(StoreFiles.count(a.resolve(".git")));
        git(c, "theta", "fetch", "--all");
        assertThat(StoreFiles.count(c.resolve(".git"))).isEqualTo(StoreFiles.count(a.resolve(".git")));
        assertThat(git(c, "status", "--porcelain")).isEmpty();

        // the bare path remote is looked after where it is; what needs a work tree says so, as git does
        Path remote = tmp.resolve("remote.git");
        assertThat(git(remote, "theta", "fsck")).isEmpty();
        assertThat(git(remote, "theta", "ls-files", "HEAD")).contains("model.safetensors");
        assertThat(git(remote, "theta", "show", "HEAD:model.safetensors")).contains("layers.0.");
        assertThat(git(remote, "theta", "log")).contains("tune", "base");
        assertThat(git(remote, "theta", "diff", "--stat", "HEAD~1", "HEAD")).contains("model.safetensors | ");
        for (String command : List.of("status", "checkout", "track")) {
            Command.Result r = exec(remote, "theta", command);
            assertThat(r.exit()).as(command).isNotZero();
            assertThat(r.err().strip())
                    .isEqualTo("git-theta: git theta " + command + ": this operation must be run in a work tree");
        }
    }

    /** A push whose objects cannot be uploaded is stopped before git sends the refs, with one line saying why. */
    @Test
    void aPushWhoseObjectsAreMissingHereIsStoppedWithOneLine() throws Exception {
        Path a = pathRepo("a");
        Path remote = tmp.resolve("remote.git");
        commitSmallModel(a);
        Path object = StoreFiles.objects(a.resolve(".git")).getFirst();
        Files.delete(object);

        Command.Result push = exec(a, "push", "-q", "origin", "main");
        assertThat(push.exit()).isNotZero();
        assertThat(push.err().lines().filter(l -> l.startsWith("git-theta:")))
                .singleElement()
                .asString()
                .startsWith("git-theta: could not upload parameter objects to " + remote + ": object "
                        + object.getFileName() + " is missing")
                .endsWith("; the push was stopped");
        assertThat(git(remote, "branch")).as("git sent no ref").isEmpty();
    }

    /** A repository on disk named by a file:// URL, read as git reads it: a space as it is or %20, a host left out. */
    @Test
    void aFileUrlNamesTheRepositoryGitReadsItAs() throws Exception {
        Path a = pathRepo("a");
        commitSmallModel(a);
        Path remote = bareRepo("my models.git");

        git(a, "push", "-q", "file://" + remote, "main");
        assertThat(StoreFiles.count(remote)).isEqualTo(StoreFiles.count(a.resolve(".git")));
        git(tmp, "clone", "-q", "file://localhost" + remote.toString().replace(" ", "%20"), "b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), tmp.resolve("b/model.safetensors")))
                .isEqualTo(-1);
    }

    /** A mistyped Git LFS URL, or a remote URL no LFS URL can be derived from, is one line naming it. */
    @Test
    void aUrlThatIsNotOneIsOneLineNamingIt() throws Exception {
        Path a = lfsRepo("a");
        commitSmallModel(a);
        for (String url : List.of("http://127.0.0.1:1/my lfs", "127.0.0.1:1/lfs")) {
            Command.Result push = exec(a, "-c", "lfs.url=" + url, "theta", "push");
            assertThat(push.exit()).isNotZero();
            assertThat(push.err()).isEqualTo("git-theta: the Git LFS URL '" + url + "' is not a URL\n");
        }
        git(a, "config", "--unset", "lfs.url");
        git(a, "remote", "set-url", "origin", "https://example.com/my models");
        Command.Result push = exec(a, "theta", "push");
        assertThat(push.exit()).isNotZero();
        assertThat(push.err())
                .isEqualTo("git-theta: the remote URL 'https://example.com/my models' is not a URL a Git LFS URL can be"
                        + " derived from; set lfs.url\n");
    }

    /** Tags that name a tree or a blob (a checkpoint's version) are pushed with the objects they need, as git-lfs's. */
    @Test
    void tagsOfATreeOrABlobArePushedWithTheirObjects() throws Exception {
        Path a = pathRepo("a");
        Path remote = tmp.resolve("remote.git");
        commitSmallModel(a);
        git(a, "tag", "-a", "-m", "the tree", "tree-v1", "HEAD^{tree}");
        git(a, "tag", "model-v1", "HEAD:model.safetensors");
        long objects = StoreFiles.count(a.resolve(".git"));

        git(a, "push", "-q", "origin", "tree-v1");
        assertThat(StoreFiles.count(remote)).isEqualTo(objects);
        Path other = bareRepo("other.git");
        git(a, "push", "-q", other.toString(), "model-v1");
        assertThat(StoreFiles.count(other)).isEqualTo(objects);
        git(a, "push", "-q", "--mirror", "origin");
        assertThat(git(remote, "tag")).contains("model-v1", "tree-v1");
    }

    /**
     * The user name and password an http(s) URL names (a Hugging Face remote's token) reach the LFS server, as with
     * git-lfs, without a credential helper, and show in no message.
     */
    @Test
    void credentialsInTheLfsUrlReachTheServerAndNoMessage() throws Exception {
        Path a = lfsRepo("a");
        commitSmallModel(a);
        String noHelper = "credential.helper=";
        exec(a, "-c", noHelper, "-c", "lfs.url=" + server.url().replace("http://", "http://u:p@"), "theta", "push")
                .assertOk();
        assertThat(server.objectCount()).isEqualTo(StoreFiles.count(a.resolve(".git")));

        String wrong = server.url().replace("http://", "http://u:s3cret@");
        Command.Result refused = exec(a, "-c", noHelper, "-c", "lfs.url=" + wrong, "theta", "push", "--all");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("authentication failed (HTTP 401)").doesNotContain("s3cret");
    }

    /**
     * A remote URL is rewritten by url.<base>.insteadOf as git rewrites it before the LFS URL is derived from it: a
     * shorthand, here with the token a CI adds to its host's URLs, which reaches the LFS server as with git-lfs.
     */
    @Test
    void insteadOfRewritesTheRemoteUrlTheLfsUrlIsDerivedFrom() throws Exception {
        Path a = lfsRepo("a");
        commitSmallModel(a);
        git(a, "theta", "push");
        git(a, "config", "--unset", "lfs.url");
        git(a, "remote", "set-url", "origin", "models:model");
        String base = server.url().replace("http://", "http://u:p@").replace("model.git/info/lfs", "");
        git(a, "config", "url." + base + ".insteadOf", "models:");
        for (Path object : StoreFiles.objects(a.resolve(".git"))) Files.delete(object);

        exec(a, "-c", "credential.helper=", "theta", "fetch").assertOk();
        assertThat(StoreFiles.count(a.resolve(".git"))).isEqualTo(server.objectCount());
    }

    /** git theta push sends where git push does: to the remote's push URL when it has one. */
    @Test
    void gitThetaPushSendsToThePushUrl() throws Exception {
        Path a = pathRepo("a");
        commitSmallModel(a);
        Path pushed = bareRepo("pushed.git");
        git(a, "remote", "set-url", "--push", "origin", pushed.toString());

        git(a, "theta", "push");
        assertThat(StoreFiles.count(pushed)).isEqualTo(StoreFiles.count(a.resolve(".git")));
        assertThat(StoreFiles.count(tmp.resolve("remote.git"))).isZero();
    }

    /** Without a push URL, git pushes to the remote's URL as url.<base>.pushInsteadOf rewrites it, and so does this. */
    @Test
    void gitThetaPushSendsWherePushInsteadOfRewritesTheUrl() throws Exception {
        Path a = pathRepo("a");
        commitSmallModel(a);
        Path pushed = bareRepo("pushed.git");
        git(
                a,
                "config",
                "url." + pushed + ".pushInsteadOf",
                tmp.resolve("remote.git").toString());

        git(a, "theta", "push");
        assertThat(StoreFiles.count(pushed)).isEqualTo(StoreFiles.count(a.resolve(".git")));
        assertThat(StoreFiles.count(tmp.resolve("remote.git"))).isZero();
    }

    /**
     * A remote reached over SSH, as most people clone from a forge: its LFS server takes only the token the forge's
     * {@code git-lfs-authenticate} grants, never the password git credential has. ssh is a script that runs git's
     * commands here and answers {@code git-lfs-authenticate} with the server's URL and token.
     */
    @Test
    void anSshRemoteGetsItsLfsTokenFromGitLfsAuthenticate() throws Exception {
        try (LfsServer tokenServer = new LfsServer(tmp.resolve("token-server"), "RemoteAuth s3cret")) {
            Path fakeSsh = tmp.resolve("fake-ssh");
            Files.writeString(fakeSsh, """
                    #!/bin/sh
                    host=$1; shift
                    echo "$host $*" >> "$FAKE_SSH_LOG"
                    case "$*" in
                    git-lfs-authenticate*)
                      printf '{"href":"%s","header":{"Authorization":"RemoteAuth s3cret"}}' "$FAKE_LFS_URL" ;;
                    *) cd "$FAKE_SSH_ROOT" && exec sh -c "$*" ;;
                    esac
                    """);
            assertThat(fakeSsh.toFile().setExecutable(true)).isTrue();
            Path log = tmp.resolve("ssh.log");
            Map<String, String> env = Map.of(
                    "GIT_SSH_COMMAND", fakeSsh.toString(),
                    "GIT_SSH_VARIANT", "simple",
                    "FAKE_SSH_LOG", log.toString(),
                    "FAKE_SSH_ROOT", tmp.toString(),
                    "FAKE_LFS_URL", tokenServer.url());
            Path a = Files.createDirectories(tmp.resolve("a"));
            exec(env, a, "init", "-q").assertOk();
            exec(env, a, "remote", "add", "origin", "models.invalid:remote.git").assertOk();
            exec(env, a, "theta", "track", "*.safetensors").assertOk();
            DemoModel.small().write(a.resolve("model.safetensors"), n -> false, 0, 0);
            exec(env, a, "add", ".").assertOk();
            exec(env, a, "commit", "-q", "-m", "base").assertOk();

            exec(env, a, "push", "-q", "origin", "main").assertOk();
            assertThat(tokenServer.objectCount())
                    .isEqualTo(StoreFiles.count(a.resolve(".git")))
                    .isPositive();

            exec(env, tmp, "clone", "-q", "models.invalid:remote.git", "b").assertOk();
            assertThat(Files.mismatch(a.resolve("model.safetensors"), tmp.resolve("b/model.safetensors")))
                    .isEqualTo(-1);
            assertThat(Files.readAllLines(log))
                    .contains(
                            "models.invalid git-lfs-authenticate remote.git upload",
                            "models.invalid git-lfs-authenticate remote.git download");
        }
    }

    /** A repository that names its LFS server in a committed .lfsconfig is cloned with nothing else set, as git-lfs's. */
    @Test
    void theLfsServerNamedInACommittedLfsconfigServesAPlainClone() throws Exception {
        Path a = lfsRepo("a");
        Files.writeString(a.resolve(".lfsconfig"), "[lfs]\n\turl = " + server.url() + "\n");
        git(a, "config", "--unset", "lfs.url");
        commitSmallModel(a);
        git(a, "push", "-q", "origin", "main");
        assertThat(server.objectCount())
                .isEqualTo(StoreFiles.count(a.resolve(".git")))
                .isPositive();

        git(tmp, "clone", "-q", "remote.git", "b");
        Path b = tmp.resolve("b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")))
                .isEqualTo(-1);
        assertThat(git(b, "theta", "env")).contains(server.url());

        // git's own configuration comes first, as in git-lfs
        git(b, "config", "lfs.url", "http://127.0.0.1:9/elsewhere");
        assertThat(git(b, "theta", "env"))
                .contains("http://127.0.0.1:9/elsewhere")
                .doesNotContain(server.url());
        Files.writeString(b.resolve(".lfsconfig"), "[lfs\n");
        git(b, "config", "--unset", "lfs.url");
        Command.Result broken = exec(b, "theta", "fetch", "--all");
        assertThat(broken.exit()).isNotZero();
        assertThat(broken.err()).startsWith("git-theta: " + b.resolve(".lfsconfig") + ": not a git configuration file");
    }

    @Test
    void aCorruptObjectOnTheServerFailsTheCheckoutAndWritesNoFile() throws Exception {
        Path a = lfsRepo("a");
        commitSmallModel(a);
        git(a, "push", "-q", "origin", "main");
        Path stored;
        try (var s = Files.list(tmp.resolve("server"))) {
            stored = s.findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length / 2] ^= 1;
        Files.write(stored, bytes);

        Command.Result clone = exec(tmp, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
        assertThat(clone.err()).contains("served a corrupt object " + stored.getFileName());
        assertThat(tmp.resolve("b/model.safetensors")).doesNotExist();
        assertThat(StoreFiles.count(tmp.resolve("b/.git"))).isLessThan(StoreFiles.count(a.resolve(".git")));
    }

    @Test
    void theRealGitLfsClientReadsWhatWeUploaded() throws Exception {
        Assumptions.assumeTrue(exec(tmp, "lfs", "version").exit() == 0, "git-lfs is not installed");
        Path a = lfsRepo("a");
        commitSmallModel(a);
        git(a, "theta", "push");
        Path object = StoreFiles.objects(a.resolve(".git")).getFirst();
        Path other = Files.createDirectories(tmp.resolve("lfs-client"));
        git(other, "init", "-q");
        git(other, "config", "lfs.url", server.url());
        Files.writeString(
                tmp.resolve("pointer"),
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + object.getFileName() + "\nsize "
                        + Files.size(object) + "\n");
        sandbox()
                .command(other, "git", "lfs", "smudge")
                .input(tmp.resolve("pointer"))
                .output(tmp.resolve("smudged"))
                .run()
                .assertOk();
        assertThat(Files.mismatch(object, tmp.resolve("smudged"))).isEqualTo(-1);
    }
}
