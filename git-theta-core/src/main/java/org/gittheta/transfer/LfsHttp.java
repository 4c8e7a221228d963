package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpRetryException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLHandshakeException;

/**
 * The HTTP side of the LFS client. Credentials obtained for the LFS endpoint go only to the endpoint's own
 * scheme, host and port; redirects are followed here rather than by the JDK so that no Authorization header
 * crosses to another origin; every exchange has an activity timeout; and bodies are read only up to a bound.
 *
 * <p>Requests are blocking {@link HttpURLConnection}s on the calling thread, kept alive and reused by the JDK, with
 * bodies streamed straight between the connection and the object's file: the asynchronous JDK {@code HttpClient}
 * this replaced handed every buffer of a body from its selector to its worker threads and through its subscribers,
 * which cost a 1 GiB push or fetch more CPU than the bytes themselves (docs/performance.md, "Transfers: blocking
 * connections").
 */
final class LfsHttp {
    /** As many as git (curl) follows by default is plenty: a longer chain is a loop. */
    static final int MAX_REDIRECTS = 10;
    /** Error bodies are read only for the start of their message. */
    private static final int ERROR_BODY_LIMIT = 300;
    /** What is read and thrown away of a successful upload's reply, so the connection can be reused. */
    private static final int DRAIN_LIMIT = 64 << 10;
    /**
     * The JDK keeps at most {@code http.maxConnections} idle connections per server (5 by default) and closes the
     * rest when their exchange ends, so with {@code lfs.concurrenttransfers} 8 every request would open a new one.
     * The JDK reads the property once, when its connection cache first starts, so it is set before then, unless the
     * user set it.
     */
    private static final String CONNECTIONS_PROPERTY = "http.maxConnections";

    static {
        if (System.getProperty(CONNECTIONS_PROPERTY) == null) System.setProperty(CONNECTIONS_PROPERTY, "64");
    }

    private final URI endpoint;
    private final Credentials credentials;
    private final Optional<SshAuthentication> ssh;
    private final HttpSettings settings;
    private final LfsClient.Options options;
    private final Object authLock = new Object();
    private Credentials.Credential credential;
    private boolean approved;
    /** What the SSH remote's server granted for the operation under way; null before it is asked. */
    private volatile Grant grant;

    private record Grant(String operation, Optional<LfsJson.Action> action) {}

    LfsHttp(
            URI endpoint,
            Credentials credentials,
            Optional<SshAuthentication> ssh,
            HttpSettings settings,
            LfsClient.Options options) {
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.ssh = ssh;
        this.settings = settings;
        this.options = options;
    }

    /**
     * The API URL for an operation: the endpoint, or for an SSH remote the one its server granted, asking it
     * again for another operation or when what it granted is about to expire.
     */
    URI api(String operation) throws IOException {
        if (ssh.isEmpty()) return endpoint;
        synchronized (authLock) {
            Grant g = grant;
            if (g == null
                    || !g.operation().equals(operation)
                    || g.action().map(LfsJson.Action::expiresSoon).orElse(false)) {
                g = new Grant(operation, ssh.get().grant(operation, endpoint));
                grant = g;
            }
            return g.action().map(a -> withoutTrailingSlash(a.href())).orElse(endpoint);
        }
    }

    static URI withoutTrailingSlash(URI u) {
        String s = u.toString();
        return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : u;
    }

    /** Builds the request for one URL (the first, or one redirected to); bytes it sends count as activity. */
    @FunctionalInterface
    interface RequestFactory {
        Outgoing build(URI url, StallWatch watch);
    }

    /** Writes a request's body, exactly as many bytes as its {@link Outgoing#length()}. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** What one request sends: its method, its own headers, and a body of {@code length} bytes unless it is null. */
    record Outgoing(String method, Map<String, String> headers, long length, Body body) {
        static Outgoing get(Map<String, String> headers) {
            return new Outgoing("GET", headers, 0, null);
        }

        static Outgoing post(Map<String, String> headers, byte[] body) {
            return new Outgoing("POST", headers, body.length, out -> out.write(body));
        }
    }

    /**
     * One request. {@code what} names it in messages ("download of object ..."); {@code headers} are the ones
     * the server gave for an action. The endpoint's credentials, once known, go with every request to the
     * endpoint's origin that carries no Authorization from the server.
     */
    record Request(String what, URI url, Map<String, String> headers, RequestFactory factory) {}

    /**
     * A response whose body stalls into an IOException instead of blocking; close it. {@code headers} is keyed
     * without regard to case.
     */
    record Response(int status, Map<String, List<String>> headers, InputStream body, URI url) implements AutoCloseable {
        /** The first value of a header. */
        Optional<String> header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? Optional.empty() : Optional.ofNullable(values.getFirst());
        }

        Optional<Long> contentLength() {
            return header("Content-Length").filter(s -> s.matches("\\d{1,18}")).map(Long::parseLong);
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /** A reply, with the git credential sent for it, if any, and whether the SSH server's grant authorised it. */
    private record Exchange(Response response, Credentials.Credential sent, boolean granted) {}

    /**
     * Sends a request, retrying 429, 5xx, broken connections and stalls with backoff, and answering a 401 from
     * the endpoint's origin with the credentials {@code git credential} gives.
     */
    Response send(Request request) throws IOException {
        boolean askedForCredential = false;
        for (int attempt = 1; ; attempt++) {
            Exchange ex;
            try {
                ex = exchange(request, currentCredential());
            } catch (LfsProtocolException e) {
                throw e;
            } catch (SSLHandshakeException e) {
                // a certificate the trusted authorities do not vouch for stays so: no point in trying again
                throw new IOException(
                        request.url() + ": " + request.what() + " failed: "
                                + oneLine(String.valueOf(e.getMessage()), 200)
                                + " (if a private certificate authority signs this server's certificate, give its PEM"
                                + " file as GIT_SSL_CAINFO or http.sslCAInfo)",
                        e);
            } catch (IOException e) {
                if (attempt >= options.attempts()) {
                    String why = e.getMessage() == null ? e.toString() : e.getMessage();
                    throw new IOException(
                            request.url() + ": " + request.what() + " failed after " + attempt + " tries: "
                                    + oneLine(why, 200),
                            e);
                }
                pause(attempt, Optional.empty());
                continue;
            }
            Response r = ex.response();
            int code = r.status();
            if (code == 401) {
                r.close();
                if (ex.granted()) {
                    throw new IOException(r.url() + ": authentication failed (HTTP 401) with what "
                            + ssh.map(s -> "ssh " + s.host()).orElse("ssh") + " git-lfs-authenticate granted");
                }
                if (ex.sent() != null) {
                    credentials.reject(endpoint, ex.sent());
                    throw new IOException(r.url() + ": authentication failed (HTTP 401) for user '"
                            + ex.sent().username() + "'");
                }
                if (!sameOrigin(r.url(), endpoint)) {
                    throw new IOException(r.url() + ": " + request.what() + " needs authentication (HTTP 401), but the "
                            + "credentials for " + origin(endpoint) + " are not sent to another host");
                }
                if (askedForCredential || !obtainCredential()) {
                    throw new IOException(
                            r.url() + ": authentication required (HTTP 401) and git credential gave " + "none");
                }
                askedForCredential = true;
                attempt--;
                continue;
            }
            if (code == 403) {
                r.close();
                throw new IOException(r.url() + ": access denied (HTTP 403)"
                        + (ex.sent() == null ? "" : " for user '" + ex.sent().username() + "'"));
            }
            if ((code == 429 || code / 100 == 5) && attempt < options.attempts()) {
                r.close();
                pause(attempt, r.header("Retry-After"));
                continue;
            }
            if (ex.sent() != null) approve(ex.sent());
            return r;
        }
    }

    /** One try: the request and the redirects it leads to. */
    private Exchange exchange(Request request, Credentials.Credential known) throws IOException {
        URI url = request.url();
        for (int hop = 0; ; hop++) {
            checkScheme(request, url);
            Credentials.Credential sent = null;
            StallWatch watch = new StallWatch(options.activityTimeout());
            Outgoing built = request.factory().build(url, watch);
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(settings.extraHeaders(url));
            headers.putAll(built.headers());
            boolean theirOwn = false;
            for (var h : request.headers().entrySet()) {
                boolean authorization = h.getKey().equalsIgnoreCase("Authorization");
                theirOwn |= authorization;
                // the server's own token is for the host it named, not for wherever that redirects
                if (!authorization || sameOrigin(url, request.url())) headers.put(h.getKey(), h.getValue());
            }
            boolean granted = false;
            Grant g = grant;
            if (!theirOwn
                    && g != null
                    && g.action().isPresent()
                    && sameOrigin(url, g.action().get().href())) {
                g.action().get().header().forEach(headers::putIfAbsent);
                granted = headers.containsKey("Authorization");
            }
            // not where an extra header or the grant already authorises the request
            if (known != null && !theirOwn && sameOrigin(url, endpoint) && !headers.containsKey("Authorization")) {
                headers.put("Authorization", known.basicAuthorization());
                sent = known;
            }
            Response r = sendWatched(request, url, built, headers, watch);
            Optional<String> location = r.header("Location");
            if (!isRedirect(r.status(), built.method()) || location.isEmpty()) return new Exchange(r, sent, granted);
            r.close();
            URI next;
            try {
                next = url.resolve(location.get().strip());
            } catch (IllegalArgumentException e) {
                throw new LfsProtocolException(
                        url + ": " + request.what() + ": redirected to a malformed URL '" + oneLine(location.get(), 200)
                                + "'",
                        e);
            }
            if (hop + 1 > MAX_REDIRECTS) {
                throw new LfsProtocolException(request.url() + ": " + request.what() + ": more than " + MAX_REDIRECTS
                        + " redirects (a redirect loop?), the last to " + oneLine(next.toString(), 200));
            }
            if ("https".equalsIgnoreCase(url.getScheme()) && "http".equalsIgnoreCase(next.getScheme())) {
                throw new LfsProtocolException(url + ": " + request.what() + ": refusing a redirect from https to "
                        + oneLine(next.toString(), 200));
            }
            url = next;
        }
    }

    private static void checkScheme(Request request, URI url) throws LfsProtocolException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new LfsProtocolException(request.what() + ": the server points to " + oneLine(url.toString(), 200)
                    + ", which is not an http(s) URL with a host");
        }
    }

    /** GET follows every redirect; other methods only those that keep the method and body (307, 308). */
    private static boolean isRedirect(int code, String method) {
        return code == 307 || code == 308 || (method.equals("GET") && (code == 301 || code == 302 || code == 303));
    }

    /**
     * One request on a connection of the JDK's keep-alive cache. Every read of the socket (the connect, the wait
     * for the reply, the body) times out after the activity timeout; a body the server stops reading is cut off by
     * the watch, which closes the connection.
     */
    private Response sendWatched(Request request, URI url, Outgoing out, Map<String, String> headers, StallWatch watch)
            throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) url.toURL().openConnection(settings.proxy(url));
            if (c instanceof HttpsURLConnection https) settings.trust(url).ifPresent(https::setSSLSocketFactory);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            int timeout =
                    (int) Math.min(Integer.MAX_VALUE, options.activityTimeout().toMillis());
            c.setConnectTimeout(timeout);
            c.setReadTimeout(timeout);
            c.setRequestMethod(out.method());
            headers.forEach(c::setRequestProperty);
        } catch (IllegalArgumentException e) {
            watch.close();
            throw new LfsProtocolException(
                    url + ": " + request.what() + ": the server's request is unusable: "
                            + oneLine(String.valueOf(e.getMessage()), 200),
                    e);
        } catch (IOException e) {
            watch.close();
            throw e;
        }
        try {
            if (out.body() != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(out.length());
                watch.onStall(c::disconnect);
                try (OutputStream body = c.getOutputStream()) {
                    out.body().writeTo(body);
                }
            }
            int status;
            try {
                status = c.getResponseCode();
            } catch (HttpRetryException e) {
                // a 401 to a streamed body: the JDK closes the connection and says no more than the status
                watch.close();
                return new Response(e.responseCode(), Map.of(), InputStream.nullInputStream(), url);
            }
            watch.close(); // from here on the socket's read timeout is the activity timeout
            Map<String, List<String>> replyHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            c.getHeaderFields().forEach((k, v) -> {
                if (k != null) replyHeaders.put(k, v);
            });
            InputStream body = status >= 400 ? c.getErrorStream() : c.getInputStream();
            return new Response(
                    status,
                    replyHeaders,
                    new WatchedBody(body == null ? InputStream.nullInputStream() : body, watch),
                    url);
        } catch (IOException | RuntimeException e) {
            watch.close();
            c.disconnect();
            if (watch.stalled() || e instanceof java.net.SocketTimeoutException) {
                throw new IOException(watch.describe(), e);
            }
            throw e;
        }
    }

    /** The whole body, which must not exceed {@code limit} bytes. */
    static byte[] readAll(Response r, int limit, String what) throws IOException {
        try (r) {
            byte[] body = r.body().readNBytes(limit + 1);
            if (body.length > limit) {
                throw new LfsProtocolException(
                        r.url() + ": " + what + ": the reply is larger than " + limit + " bytes");
            }
            return body;
        }
    }

    /** Reads a little of a reply nobody needs and closes it. */
    static void drain(Response r) throws IOException {
        try (r) {
            r.body().readNBytes(DRAIN_LIMIT);
        }
    }

    /** "HTTP 500: message" from an error reply, reading at most the start of its body. */
    static String status(Response r) throws IOException {
        byte[] start;
        try (r) {
            start = r.body().readNBytes(ERROR_BODY_LIMIT);
        } catch (IOException e) {
            start = new byte[0]; // the status alone says enough
        }
        String message = new String(start, StandardCharsets.UTF_8);
        try {
            if (LfsJson.parse(start) instanceof Map<?, ?> m && m.get("message") instanceof String s) message = s;
        } catch (IOException notJson) {
            // a plain-text or HTML error page: show its start as it is
        }
        message = oneLine(message, ERROR_BODY_LIMIT);
        return "HTTP " + r.status() + (message.isBlank() ? "" : ": " + message.strip());
    }

    /** Text from a server made safe for one line of a message: control characters become spaces. */
    static String oneLine(String s, int max) {
        String flat = s.codePoints()
                .map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        return flat.length() <= max ? flat : flat.substring(0, max) + "...";
    }

    static boolean sameOrigin(URI a, URI b) {
        return origin(a).equals(origin(b));
    }

    /** scheme://host:port with the default port made explicit, so http://h and http://h:80 are one origin. */
    static String origin(URI u) {
        String scheme = String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT);
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
        return scheme + "://" + String.valueOf(u.getHost()).toLowerCase(Locale.ROOT) + ":" + port;
    }

    private Credentials.Credential currentCredential() {
        synchronized (authLock) {
            return credential;
        }
    }

    /** One thread asks git for credentials; the others use what it got. */
    private boolean obtainCredential() throws IOException {
        synchronized (authLock) {
            if (credential == null) credential = credentials.fill(endpoint).orElse(null);
            return credential != null;
        }
    }

    private void approve(Credentials.Credential c) throws IOException {
        synchronized (authLock) {
            if (approved) return;
            approved = true;
        }
        credentials.approve(endpoint, c);
    }

    void pause(int attempt, Optional<String> retryAfter) throws IOException {
        long millis = options.firstBackoff().toMillis() << Math.min(attempt - 1, 10);
        if (retryAfter.isPresent() && retryAfter.get().matches("\\d{1,4}")) {
            millis = Math.max(millis, Long.parseLong(retryAfter.get()) * 1000);
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry", e);
        }
    }
}
