package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SSH remotes: the LFS token their server grants through {@code git-lfs-authenticate}, with a shell script in the
 * place of ssh that records its arguments and answers as a server would.
 */
class SshAuthenticationTest {
    private static final LfsClient.Options FAST = new LfsClient.Options(4, 2, Duration.ofMillis(10));
    /** Where the remote's URL points; nothing resolves it, so only a granted href can reach the server. */
    private static final URI DERIVED = URI.create("https://models.invalid/org/model.git/info/lfs");

    @TempDir
    Path tmp;

    private FakeLfsServer server;

    @BeforeEach
    void start() throws IOException {
        server = new FakeLfsServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** ssh as a shell script: it appends its arguments, one per line, to {@code ssh.log}, then runs {@code body}. */
    private List<String> ssh(String body) {
        return List.of("sh", "-c", "printf '%s\\n' \"$@\" >> '" + tmp.resolve("ssh.log") + "'; " + body, "ssh");
    }

    private List<String> sshLog() throws IOException {
        return Files.readAllLines(tmp.resolve("ssh.log"));
    }

    private static LfsEndpoint.SshTarget target(String url) {
        return LfsEndpoint.sshTarget(url).orElseThrow();
    }

    private LfsClient client(List<String> ssh, String url, URI derived) {
        return new LfsClient(
                derived,
                Credentials.NONE,
                Optional.of(new SshAuthentication(ssh, target(url))),
                HttpSettings.NONE,
                FAST,
                Progress.NONE);
    }

    @Test
    void theGrantedTokenAndUrlCarryEveryRequestForItsOperation() throws IOException {
        String grant = "{\"href\":\"" + server.endpoint() + "\",\"header\":{\"Authorization\":\"RemoteAuth s3cret\"},"
                + "\"expires_in\":3600}";
        LfsClient client =
                client(ssh("printf '%s' '" + grant + "'"), "ssh://git@models.invalid:2222/org/model.git", DERIVED);
        ObjectStore local = new ObjectStore(tmp.resolve("a"));
        ObjectStore other = new ObjectStore(tmp.resolve("b"));
        List<ObjectRef> refs = LfsClientTest.objects(local, 3, 1000);

        assertThat(client.push(refs, local)).isEqualTo(3);
        client.fetch(refs, other);

        for (ObjectRef r : refs) assertThat(other.containsIntact(r.id())).isTrue();
        assertThat(server.authorizations).isNotEmpty().containsOnly("RemoteAuth s3cret");
        // asked once per operation, as git-lfs asks: the port, the host, then the command as one argument
        assertThat(sshLog())
                .containsExactly(
                        "-p",
                        "2222",
                        "git@models.invalid",
                        "git-lfs-authenticate /org/model.git upload",
                        "-p",
                        "2222",
                        "git@models.invalid",
                        "git-lfs-authenticate /org/model.git download");
    }

    @Test
    void aServerWithoutGitLfsAuthenticateIsTalkedToAtTheDerivedUrl() throws IOException {
        LfsClient client = client(
                ssh("echo 'Invalid command' >&2; exit 1"), "git@models.invalid:org/model.git", server.endpoint());
        ObjectStore local = new ObjectStore(tmp.resolve("a"));

        assertThat(client.push(LfsClientTest.objects(local, 2, 1000), local)).isEqualTo(2);

        assertThat(server.authorizations).isNotEmpty().containsOnly("-");
        assertThat(sshLog()).containsExactly("git@models.invalid", "git-lfs-authenticate org/model.git upload");
    }

    @Test
    void aPathTheServersShellWouldSplitIsQuoted() throws IOException {
        LfsClient client = client(ssh("exit 1"), "me@models.invalid:my models/it's.git", server.endpoint());
        ObjectStore local = new ObjectStore(tmp.resolve("a"));

        client.push(LfsClientTest.objects(local, 1, 1000), local);

        assertThat(sshLog())
                .containsExactly("me@models.invalid", "git-lfs-authenticate 'my models/it'\\''s.git' upload");
    }

    @Test
    void aMalformedGrantIsOneLineNamingTheCommand() throws IOException {
        LfsClient client = client(ssh("printf '{\"header\": [1]}'"), "git@models.invalid:org/model.git", DERIVED);
        ObjectStore local = new ObjectStore(tmp.resolve("a"));
        List<ObjectRef> refs = LfsClientTest.objects(local, 1, 1000);

        assertThatThrownBy(() -> client.push(refs, local))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessage(DERIVED + ": bad answer from ssh git@models.invalid git-lfs-authenticate org/model.git "
                        + "upload: the grant: its header is not a JSON object");
    }

    @Test
    void aServerThatNeverAnswersIsGivenUp() throws IOException {
        var ssh =
                new SshAuthentication(ssh("exec sleep 60"), target("git@models.invalid:m.git"), Duration.ofSeconds(1));

        assertThatThrownBy(() -> ssh.grant("download", DERIVED))
                .isInstanceOf(IOException.class)
                .hasMessage("ssh git@models.invalid git-lfs-authenticate m.git download: no answer within 1 s");
    }

    @Test
    void findsTheSshSideOfRemoteUrlsAsGitReadsThem() {
        assertThat(LfsEndpoint.sshTarget("git@example.com:org/model.git"))
                .contains(new LfsEndpoint.SshTarget("git@example.com", Optional.empty(), "org/model.git"));
        assertThat(LfsEndpoint.sshTarget("ssh://git@example.com:2222/org/model"))
                .contains(new LfsEndpoint.SshTarget("git@example.com", Optional.of(2222), "/org/model"));
        assertThat(LfsEndpoint.sshTarget("git+ssh://example.com/srv/m.git"))
                .contains(new LfsEndpoint.SshTarget("example.com", Optional.empty(), "/srv/m.git"));
        assertThat(LfsEndpoint.sshTarget("https://example.com/org/model")).isEmpty();
        assertThat(LfsEndpoint.sshTarget("/srv/git/model.git")).isEmpty();
        assertThat(LfsEndpoint.sshTarget("file:///srv/git/model.git")).isEmpty();
        // a host ssh would take for an option (CVE-2017-1000117) is never run
        assertThat(LfsEndpoint.sshTarget("ssh://-oProxyCommand=touch%20x/m.git"))
                .isEmpty();
        assertThat(LfsEndpoint.sshTarget("-oProxyCommand=x:m.git")).isEmpty();
    }
}
