package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** git's http settings as git-lfs applies them to LFS requests: extra headers and proxies, per URL. */
class HttpSettingsTest {
    private static final URI GITHUB = URI.create("https://github.com/org/model.git/info/lfs/objects/batch");
    private static final URI CDN = URI.create("https://cdn.example.com/objects/ab/cd");

    @TempDir
    Path tmp;

    private static HttpSettings settings(Map<String, String> env, String... keysAndValues) {
        List<HttpSettings.Entry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            entries.add(new HttpSettings.Entry(keysAndValues[i], keysAndValues[i + 1]));
        }
        return new HttpSettings(entries, env);
    }

    private static Proxy proxy(String host, int port) {
        return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(host, port));
    }

    @Test
    void extraHeadersGoOnlyWhereTheirUrlMatchesAsInGit() {
        // what actions/checkout sets for the forge, beside a header for every URL
        HttpSettings s = settings(
                Map.of(),
                "http.extraheader",
                "X-Trace: 1",
                "http.https://github.com/.extraheader",
                "AUTHORIZATION: basic dG9rZW4=",
                "http.https://github.com/other/.extraheader",
                "X-Other: 2");

        assertThat(s.extraHeaders(GITHUB))
                .containsExactly(Map.entry("X-Trace", "1"), Map.entry("AUTHORIZATION", "basic dG9rZW4="));
        assertThat(s.extraHeaders(CDN)).containsExactly(Map.entry("X-Trace", "1"));
        assertThat(s.extraHeaders(URI.create("http://github.com/org/model.git")))
                .containsExactly(Map.entry("X-Trace", "1"));
        // a less specific entry after a more specific one is skipped, as git's urlmatch skips it; empty clears
        assertThat(settings(Map.of(), "http.https://github.com/.extraheader", "A: 1", "http.extraheader", "B: 2")
                        .extraHeaders(GITHUB))
                .containsExactly(Map.entry("A", "1"));
        assertThat(settings(Map.of(), "http.extraheader", "A: 1", "http.extraheader", "")
                        .extraHeaders(GITHUB))
                .isEmpty();
    }

    @Test
    void theProxyComesFromGitThenTheEnvironmentLessNoProxy() throws IOException {
        Map<String, String> env = Map.of("https_proxy", "proxy.corp:3128", "NO_PROXY", ".internal.corp,localhost");

        assertThat(settings(env).proxy(GITHUB)).isEqualTo(proxy("proxy.corp", 3128));
        assertThat(settings(env).proxy(URI.create("http://github.com/x"))).isEqualTo(Proxy.NO_PROXY);
        assertThat(settings(env).proxy(URI.create("https://lfs.internal.corp/x")))
                .isEqualTo(Proxy.NO_PROXY);
        assertThat(settings(env).proxy(URI.create("https://127.0.0.1:8080/x"))).isEqualTo(Proxy.NO_PROXY);
        assertThat(settings(env, "http.proxy", "http://git-proxy:8080").proxy(GITHUB))
                .isEqualTo(proxy("git-proxy", 8080));
        assertThat(settings(env, "http.https://github.com.proxy", "").proxy(GITHUB))
                .isEqualTo(Proxy.NO_PROXY);
        assertThat(settings(Map.of("HTTPS_PROXY", "http://upper:1", "https_proxy", "http://lower:2"))
                        .proxy(GITHUB))
                .isEqualTo(proxy("upper", 1));

        assertThatThrownBy(
                        () -> settings(Map.of("https_proxy", "socks5://p:1080")).proxy(GITHUB))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("'socks5://p:1080' is not an http://host:port proxy");
        assertThatThrownBy(() -> settings(Map.of("https_proxy", "http://me:secret@p:3128"))
                        .proxy(GITHUB))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageNotContaining("secret");
    }

    /**
     * Requests for a host nothing resolves reach the server through the proxy: the server itself stands in for the
     * proxy here, reading the absolute URL of each request line as a proxy's origin would.
     */
    @Test
    void requestsGoThroughTheProxyWithTheirExtraHeaders() throws IOException {
        try (FakeLfsServer server = new FakeLfsServer()) {
            URI behindProxy =
                    URI.create("http://lfs.invalid" + server.endpoint().getPath());
            HttpSettings s = settings(
                    Map.of("http_proxy", "http://127.0.0.1:" + server.endpoint().getPort()),
                    "http.http://lfs.invalid/.extraheader",
                    "Authorization: Bearer ci-token");
            LfsClient client = new LfsClient(
                    behindProxy,
                    Credentials.NONE,
                    Optional.empty(),
                    s,
                    new LfsClient.Options(2, 1, Duration.ofMillis(10)),
                    Progress.NONE);
            ObjectStore local = new ObjectStore(tmp.resolve("a"));
            List<ObjectRef> refs = LfsClientTest.objects(local, 2, 100);

            assertThat(client.push(refs, local)).isEqualTo(2);

            assertThat(server.objects).hasSize(2);
            assertThat(server.batchCalls.get()).isPositive();
            // the batch went through the proxy with the header; the uploads, to the loopback href, without it
            assertThat(server.authorizations).contains("Bearer ci-token", "-");
        }
    }
}
