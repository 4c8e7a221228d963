package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
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

    /**
     * A server whose certificate only the configured bundle vouches for (a company's own CA): reached with
     * GIT_SSL_CAINFO or http.sslCAInfo, refused without. keytool makes the certificate; the server answers every
     * batch with no objects.
     */
    @Test
    void theConfiguredCaBundleAloneIsTrusted() throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Path keys = tmp.resolve("server.p12");
        Path bundle = tmp.resolve("ca.pem");
        run(
                keytool.toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                keys.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "secret");
        run(
                keytool.toString(),
                "-exportcert",
                "-rfc",
                "-alias",
                "server",
                "-keystore",
                keys.toString(),
                "-storepass",
                "secret",
                "-file",
                bundle.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys)) {
            store.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "secret".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", ex -> {
            try (ex) {
                byte[] reply = "{\"objects\":[]}".getBytes(StandardCharsets.UTF_8);
                ex.getRequestBody().readAllBytes();
                ex.sendResponseHeaders(200, reply.length);
                ex.getResponseBody().write(reply);
            }
        });
        server.start();
        try {
            URI endpoint = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/m.git/info/lfs");
            ObjectStore local = new ObjectStore(tmp.resolve("a"));
            List<ObjectRef> refs = LfsClientTest.objects(local, 1, 10);

            assertThat(clientFor(endpoint, settings(Map.of("GIT_SSL_CAINFO", bundle.toString())))
                            .holding(refs))
                    .isEmpty();
            assertThat(clientFor(endpoint, settings(Map.of(), "http.sslcainfo", bundle.toString()))
                            .holding(refs))
                    .isEmpty();
            assertThatThrownBy(() -> clientFor(endpoint, HttpSettings.NONE).holding(refs))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("batch download failed: ")
                    .hasMessageEndingWith("give its PEM file as GIT_SSL_CAINFO or http.sslCAInfo)");
            assertThatThrownBy(() -> clientFor(endpoint, settings(Map.of("GIT_SSL_CAINFO", "/nonexistent/ca.pem")))
                            .holding(refs))
                    .isInstanceOf(LfsProtocolException.class)
                    .hasMessage("the CA bundle /nonexistent/ca.pem (GIT_SSL_CAINFO or http.sslCAInfo) cannot be read: "
                            + "no such file");
        } finally {
            server.stop(0);
        }
    }

    private static LfsClient clientFor(URI endpoint, HttpSettings settings) {
        return new LfsClient(
                endpoint,
                Credentials.NONE,
                Optional.empty(),
                settings,
                new LfsClient.Options(1, 1, Duration.ofMillis(10)),
                Progress.NONE);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }
}
