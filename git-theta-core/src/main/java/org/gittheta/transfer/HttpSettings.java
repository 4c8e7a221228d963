package org.gittheta.transfer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * git's http settings that git-lfs honours for its requests too, so that an LFS server is reached the way git reaches
 * the repository: extra headers ({@code http.extraHeader}, as a CI's checkout sets a token for its forge) and the
 * proxy ({@code http.proxy}, else the {@code https_proxy}/{@code http_proxy} variables less {@code no_proxy}) and the
 * certificate authorities to trust ({@code GIT_SSL_CAINFO}, {@code http.sslCAInfo}). Each
 * setting also counts as {@code http.<url>.<key>} for the URLs that {@code <url>} matches as git matches them (same
 * scheme, host and port, a path prefix at a slash, the user if it names one), the most specific match winning.
 * Loopback hosts are never proxied, as in Go's HTTP client that git-lfs uses.
 */
public final class HttpSettings {
    /** One {@code http.[<url>.]<key>} entry of git's configuration, in git's order. */
    public record Entry(String key, String value) {}

    public static final HttpSettings NONE = new HttpSettings(List.of(), Map.of());

    /** A bundle of every public CA is a few hundred KiB. */
    private static final int CA_BUNDLE_LIMIT = 16 << 20;

    private static final Pattern PEM_CERTIFICATE =
            Pattern.compile("-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

    private final List<Entry> entries;
    private final Map<String, String> environment;
    private final Map<String, SSLSocketFactory> trusting = new ConcurrentHashMap<>();

    /**
     * @param entries     git's {@code http.*} settings, keys as git lists them (section and name in lower case)
     * @param environment the process's variables, for the proxy ones
     */
    public HttpSettings(List<Entry> entries, Map<String, String> environment) {
        this.entries = List.copyOf(entries);
        this.environment = Map.copyOf(environment);
    }

    /** The headers {@code http.extraHeader} adds to requests for this URL, in order; an empty value clears the list. */
    Map<String, String> extraHeaders(URI url) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Entry e : applying(url, "extraheader")) {
            String value = e.value() == null ? "" : e.value();
            int colon = value.indexOf(':');
            if (value.isBlank()) {
                headers.clear();
            } else if (colon > 0) {
                headers.put(
                        value.substring(0, colon).strip(),
                        value.substring(colon + 1).strip());
            }
        }
        return headers;
    }

    /** How to reach this URL: through git's proxy setting, else the environment's, else directly. */
    Proxy proxy(URI url) throws LfsProtocolException {
        String host = String.valueOf(url.getHost()).toLowerCase(Locale.ROOT);
        if (isLoopback(host)) return Proxy.NO_PROXY;
        List<Entry> configured = applying(url, "proxy");
        Optional<String> proxy = configured.isEmpty()
                ? variable(url.getScheme().equalsIgnoreCase("https") ? "https_proxy" : "http_proxy")
                : Optional.ofNullable(configured.getLast().value());
        if (proxy.isEmpty() || proxy.get().isBlank() || bypassed(host)) return Proxy.NO_PROXY;
        String spec = proxy.get().strip();
        URI proxyUrl;
        try {
            proxyUrl = URI.create(spec.contains("://") ? spec : "http://" + spec);
        } catch (IllegalArgumentException e) {
            throw new LfsProtocolException("the proxy '" + LfsHttp.oneLine(spec, 200) + "' is not a URL");
        }
        if (!"http".equalsIgnoreCase(proxyUrl.getScheme()) || proxyUrl.getHost() == null) {
            throw new LfsProtocolException("the proxy '" + LfsHttp.oneLine(spec, 200)
                    + "' is not an http://host:port proxy (the only kind git-theta reaches servers through)");
        }
        if (proxyUrl.getUserInfo() != null) {
            throw new LfsProtocolException("the proxy '" + LfsHttp.oneLine(proxyUrl.getHost(), 200)
                    + "' asks for a user name and password, which git-theta does not send to proxies");
        }
        int port = proxyUrl.getPort() < 0 ? 1080 : proxyUrl.getPort();
        return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxyUrl.getHost(), port));
    }

    /**
     * For an https URL, the certificate authorities git trusts for it when they are not the usual ones:
     * {@code GIT_SSL_CAINFO}, else {@code http.sslCAInfo} (or {@code http.<url>.sslCAInfo}), a file of PEM
     * certificates that alone are trusted, as in git. Empty for the JDK's own.
     */
    Optional<SSLSocketFactory> trust(URI url) throws IOException {
        List<Entry> configured = applying(url, "sslcainfo");
        Optional<String> bundle = Optional.ofNullable(environment.get("GIT_SSL_CAINFO"))
                .or(() -> configured.isEmpty()
                        ? Optional.empty()
                        : Optional.ofNullable(configured.getLast().value()))
                .filter(path -> !path.isBlank());
        if (bundle.isEmpty()) return Optional.empty();
        SSLSocketFactory known = trusting.get(bundle.get());
        if (known != null) return Optional.of(known);
        SSLSocketFactory made = trustingOnly(Path.of(bundle.get()));
        trusting.put(bundle.get(), made);
        return Optional.of(made);
    }

    private static SSLSocketFactory trustingOnly(Path bundle) throws IOException {
        byte[] text;
        try (InputStream in = Files.newInputStream(bundle)) {
            text = in.readNBytes(CA_BUNDLE_LIMIT + 1);
        } catch (IOException e) {
            throw new LfsProtocolException(
                    "the CA bundle " + bundle + " (GIT_SSL_CAINFO or http.sslCAInfo) cannot be read: "
                            + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()),
                    e);
        }
        if (text.length > CA_BUNDLE_LIMIT)
            throw new LfsProtocolException("the CA bundle " + bundle + " is over 16 MiB");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            Matcher m = PEM_CERTIFICATE.matcher(new String(text, StandardCharsets.US_ASCII));
            int n = 0;
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1));
                store.setCertificateEntry("ca" + n++, x509.generateCertificate(new ByteArrayInputStream(der)));
            }
            if (n == 0) throw new LfsProtocolException("the CA bundle " + bundle + " holds no PEM certificate");
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls.getSocketFactory();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new LfsProtocolException("the CA bundle " + bundle + " is not usable: " + e.getMessage(), e);
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
    }

    /** {@code no_proxy}: {@code *}, or hosts and domains ({@code example.com} and {@code .example.com} alike). */
    private boolean bypassed(String host) {
        for (String item : variable("no_proxy").orElse("").split(",")) {
            String domain = item.strip().toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "");
            if (domain.equals("*")) return true;
            if (domain.startsWith(".")) domain = domain.substring(1);
            if (!domain.isEmpty() && (host.equals(domain) || host.endsWith("." + domain))) return true;
        }
        return false;
    }

    /** An environment variable by its upper-case name, else its lower-case one, as Go's HTTP client reads them. */
    private Optional<String> variable(String lowerName) {
        String upper = environment.get(lowerName.toUpperCase(Locale.ROOT));
        return Optional.ofNullable(upper != null ? upper : environment.get(lowerName));
    }

    /**
     * The entries of {@code http.<key>} and {@code http.<url>.<key>} that apply to this URL, in git's order: those
     * whose URL matches, less any that is less specific than one before it, as git's urlmatch skips them.
     */
    private List<Entry> applying(URI url, String key) {
        List<Entry> out = new ArrayList<>();
        int best = -1;
        for (Entry e : entries) {
            int specificity;
            if (e.key().equals("http." + key)) {
                specificity = 0;
            } else if (e.key().startsWith("http.") && e.key().endsWith("." + key)) {
                specificity =
                        specificity(e.key().substring("http.".length(), e.key().length() - key.length() - 1), url);
            } else {
                continue;
            }
            if (specificity < 0 || specificity < best) continue;
            best = specificity;
            out.add(e);
        }
        return out;
    }

    /**
     * How specifically a configured URL matches: -1 when it does not, else 1 plus twice the length of its path
     * (longer paths are more specific), plus 1 when it names the user.
     */
    private static int specificity(String pattern, URI url) {
        URI p;
        try {
            p = URI.create(pattern);
        } catch (IllegalArgumentException e) {
            return -1;
        }
        if (p.getScheme() == null || p.getHost() == null) return -1;
        if (!p.getScheme().equalsIgnoreCase(String.valueOf(url.getScheme()))
                || !p.getHost().equalsIgnoreCase(String.valueOf(url.getHost()))
                || port(p) != port(url)) {
            return -1;
        }
        if (p.getUserInfo() != null && !p.getUserInfo().equals(url.getUserInfo())) return -1;
        String prefix = p.getRawPath() == null ? "" : p.getRawPath().replaceFirst("/+$", "");
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        if (!(path.equals(prefix) || path.startsWith(prefix + "/"))) return -1;
        return 1 + 2 * prefix.length() + (p.getUserInfo() == null ? 0 : 1);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) return u.getPort();
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
