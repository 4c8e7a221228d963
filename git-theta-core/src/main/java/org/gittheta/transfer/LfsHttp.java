package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The HTTP side of the LFS client. Credentials obtained for the LFS endpoint go only to the endpoint's own
 * scheme, host and port; redirects are followed here rather than by the JDK so that no Authorization header
 * crosses to another origin; every exchange has an activity timeout; and bodies are read only up to a bound.
 */
final class LfsHttp {
    /** As many as git (curl) follows by default is plenty: a longer chain is a loop. */
    static final int MAX_REDIRECTS = 10;
    /** Error bodies are read only for the start of their message. */
    private static final int ERROR_BODY_LIMIT = 300;
    /** What is read and thrown away of a successful upload's reply, so the connection can be reused. */
    private static final int DRAIN_LIMIT = 64 << 10;
    /**
     * The JDK client reads the socket into buffers of {@code jdk.httpclient.bufsize} bytes (16 KiB by default) and
     * passes each through its subscribers on its worker threads: 256 KiB buffers cut a 1 GiB fetch's client CPU by
     * about a quarter (docs/performance.md, "Transfers"). The client reads the property once, when it first starts,
     * so it is set before the first client is built, unless the user set it.
     */
    private static final String BUFFER_PROPERTY = "jdk.httpclient.bufsize";

    static {
        if (System.getProperty(BUFFER_PROPERTY) == null) System.setProperty(BUFFER_PROPERTY, String.valueOf(256 << 10));
    }

    private final URI endpoint;
    private final Credentials credentials;
    private final LfsClient.Options options;
    private final HttpClient http;
    private final Object authLock = new Object();
    private Credentials.Credential credential;
    private boolean approved;

    LfsHttp(URI endpoint, Credentials credentials, LfsClient.Options options) {
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.options = options;
        // HTTP/1.1: a plain-http h2c upgrade confuses some servers, and LFS transfers gain nothing from HTTP/2
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(options.activityTimeout())
                .build();
    }

    /** Builds the request for one URL (the first, or one redirected to); bytes it sends count as activity. */
    @FunctionalInterface
    interface RequestFactory {
        HttpRequest.Builder build(URI url, StallWatch watch);
    }

    /**
     * One request. {@code what} names it in messages ("download of object ..."); {@code headers} are the ones
     * the server gave for an action. The endpoint's credentials, once known, go with every request to the
     * endpoint's origin that carries no Authorization from the server.
     */
    record Request(String what, URI url, Map<String, String> headers, RequestFactory factory) {}

    /** A response whose body stalls into an IOException instead of blocking; close it. */
    record Response(int status, HttpHeaders headers, InputStream body, URI url) implements AutoCloseable {
        Optional<Long> contentLength() {
            Optional<String> v = headers.firstValue("Content-Length");
            return v.filter(s -> s.matches("\\d{1,18}")).map(Long::parseLong);
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private record Exchange(Response response, Credentials.Credential sent) {}

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
                pause(attempt, r.headers().firstValue("Retry-After"));
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
            HttpRequest built;
            try {
                HttpRequest.Builder b = request.factory().build(url, watch);
                boolean theirOwn = false;
                for (var h : request.headers().entrySet()) {
                    boolean authorization = h.getKey().equalsIgnoreCase("Authorization");
                    theirOwn |= authorization;
                    // the server's own token is for the host it named, not for wherever that redirects
                    if (!authorization || sameOrigin(url, request.url())) b.header(h.getKey(), h.getValue());
                }
                if (known != null && !theirOwn && sameOrigin(url, endpoint)) {
                    b.setHeader("Authorization", known.basicAuthorization());
                    sent = known;
                }
                built = b.build();
            } catch (IllegalArgumentException e) {
                watch.close();
                throw new LfsProtocolException(
                        url + ": " + request.what() + ": the server's request is unusable: "
                                + oneLine(String.valueOf(e.getMessage()), 200),
                        e);
            }
            Response r = sendWatched(built, watch);
            Optional<String> location = r.headers().firstValue("Location");
            if (!isRedirect(r.status(), built.method()) || location.isEmpty()) return new Exchange(r, sent);
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

    private Response sendWatched(HttpRequest request, StallWatch watch) throws IOException {
        CompletableFuture<HttpResponse<InputStream>> future;
        try {
            future = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IllegalArgumentException e) {
            watch.close();
            throw new LfsProtocolException(
                    request.uri() + ": unusable request: " + oneLine(String.valueOf(e.getMessage()), 200), e);
        }
        watch.onStall(() -> future.cancel(true));
        try {
            HttpResponse<InputStream> r = future.get();
            return new Response(r.statusCode(), r.headers(), new WatchedBody(r.body(), watch), r.uri());
        } catch (CancellationException e) {
            watch.close();
            throw new IOException(watch.describe(), e);
        } catch (ExecutionException e) {
            watch.close();
            if (watch.stalled()) throw new IOException(watch.describe(), e.getCause());
            throw e.getCause() instanceof IOException io
                    ? io
                    : new IOException(String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            future.cancel(true);
            watch.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
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
