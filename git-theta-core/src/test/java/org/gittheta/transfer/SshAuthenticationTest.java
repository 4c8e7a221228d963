package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    /** ssh in a test: records each command it is given and answers with {@code answer} (empty: ssh failed). */
    private static final class StubSsh implements Credentials {
        final List<List<String>> asked = new ArrayList<>();
        private final Optional<String> answer;

        StubSsh(Optional<String> answer) {
            this.answer = answer;
        }

        @Override
        public synchronized Optional<byte[]> askSsh(List<String> command) {
            asked.add(command);
            return answer.map(a -> a.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static LfsEndpoint.SshTarget target(String url) {
        return LfsEndpoint.sshTarget(url).orElseThrow();
    }

    private static LfsClient client(StubSsh ssh, String url, URI derived) {
        return new LfsClient(
                derived,
                ssh,
                Optional.of(new SshAuthentication(List.of("ssh"), target(url), ssh)),
                HttpSettings.NONE,
                FAST,
                Progress.NONE);
    }

    @Test
    void theGrantedTokenAndUrlCarryEveryRequestForItsOperation() throws IOException {
        StubSsh ssh = new StubSsh(Optional.of("{\"href\":\"" + server.endpoint()
                + "\",\"header\":{\"Authorization\":\"RemoteAuth s3cret\"},\"expires_in\":3600}"));
        LfsClient client = client(ssh, "ssh://git@models.invalid:2222/org/model.git", DERIVED);
        ObjectStore local = new ObjectStore(tmp.resolve("a"));
        ObjectStore other = new ObjectStore(tmp.resolve("b"));
        List<ObjectRef> refs = LfsClientTest.objects(local, 3, 1000);

        assertThat(client.push(refs, local)).isEqualTo(3);
        client.fetch(refs, other);

        for (ObjectRef r : refs) assertThat(other.containsIntact(r.id())).isTrue();
        assertThat(server.authorizations).isNotEmpty().containsOnly("RemoteAuth s3cret");
        // asked once per operation, as git-lfs asks: the port, the host, then the command as one argument
        assertThat(ssh.asked)
                .containsExactly(
                        List.of(
                                "ssh",
                                "-p",
                                "2222",
                                "git@models.invalid",
                                "git-lfs-authenticate /org/model.git upload"),
                        List.of(
                                "ssh",
                                "-p",
                                "2222",
                                "git@models.invalid",
                                "git-lfs-authenticate /org/model.git download"));
    }

    @Test
    void aServerWithoutGitLfsAuthenticateIsTalkedToAtTheDerivedUrl() throws IOException {
        StubSsh ssh = new StubSsh(Optional.empty());
        LfsClient client = client(ssh, "git@models.invalid:org/model.git", server.endpoint());
        ObjectStore local = new ObjectStore(tmp.resolve("a"));

        assertThat(client.push(LfsClientTest.objects(local, 2, 1000), local)).isEqualTo(2);

        assertThat(server.authorizations).isNotEmpty().containsOnly("-");
        assertThat(ssh.asked)
                .containsExactly(List.of("ssh", "git@models.invalid", "git-lfs-authenticate org/model.git upload"));
    }

    @Test
    void aPathTheServersShellWouldSplitIsQuoted() throws IOException {
        StubSsh ssh = new StubSsh(Optional.empty());
        LfsClient client = client(ssh, "me@models.invalid:my models/it's.git", server.endpoint());
        ObjectStore local = new ObjectStore(tmp.resolve("a"));

        client.push(LfsClientTest.objects(local, 1, 1000), local);

        assertThat(ssh.asked.getFirst().getLast()).isEqualTo("git-lfs-authenticate 'my models/it'\\''s.git' upload");
    }

    @Test
    void aMalformedGrantIsOneLineNamingTheCommand() throws IOException {
        LfsClient client =
                client(new StubSsh(Optional.of("{\"header\": [1]}")), "git@models.invalid:org/model.git", DERIVED);
        ObjectStore local = new ObjectStore(tmp.resolve("a"));
        List<ObjectRef> refs = LfsClientTest.objects(local, 1, 1000);

        assertThatThrownBy(() -> client.push(refs, local))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessage(DERIVED + ": bad answer from ssh git@models.invalid git-lfs-authenticate org/model.git "
                        + "upload: the grant: its header is not a JSON object");
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
