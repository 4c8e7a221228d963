package org.gittheta.transfer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Git LFS server on loopback (the JDK's HTTP server) that can misbehave on purpose: fail batch requests with
 * 500, require basic auth, serve corrupt bytes, cut a download short, answer Range requests, point actions or
 * redirects at another host, stall after the headers, send bodies that never end.
 */
final class FakeLfsServer implements AutoCloseable {
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    final AtomicInteger batchFailures = new AtomicInteger();
    final AtomicInteger batchCalls = new AtomicInteger();
    final AtomicInteger verifyCalls = new AtomicInteger();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile String requiredAuth;
    volatile boolean corrupt;
    /** When positive: the first download of each object stops after this many bytes. */
    volatile int cutAfter;

    volatile int notFoundCode = 404;
    /** The Authorization header of every request, "-" when there was none. */
    final List<String> authorizations = new CopyOnWriteArrayList<>();

    final AtomicInteger downloads = new AtomicInteger();
    /** Where actions point, instead of this server: another server's endpoint, or a non-http URL. */
    volatile String hrefBase;
    /** When set, a download answers 302 to the same object under this base (which may be this server). */
    volatile String redirectDownloadsTo;
    /** Send the headers and a few bytes, then nothing until the server is closed. */
    volatile boolean stallBatch;

    volatile boolean stallDownload;
    /** Never answer a download at all. */
    volatile boolean stallDownloadHeaders;
    /** Stop reading an upload's body after the first bytes. */
    volatile boolean stallUpload;
    /** Download and batch bodies that never end. */
    volatile boolean endlessDownload;

    volatile boolean endlessBatch;
    /** A 500 whose error body never ends. */
    volatile boolean endlessErrorBody;
    /** A download that says it is longer than the object, then sends that many bytes. */
    volatile int extraBytes;
    /** Run when a download starts, before a byte of it is sent. */
    volatile Runnable onDownload = () -> {};
    /** Uploads and downloads under way now, the most there ever were at once, and batch calls made while any ran. */
    final AtomicInteger transfersInFlight = new AtomicInteger();

    final AtomicInteger mostTransfersAtOnce = new AtomicInteger();
    final AtomicInteger batchCallsDuringTransfers = new AtomicInteger();
    /** Uploads and downloads of this object answer 500 (Retry-After: 0) while {@link #failuresLeft} is positive. */
    volatile String failingObject;

    final AtomicInteger failuresLeft = new AtomicInteger();
    final AtomicInteger failedTransfers = new AtomicInteger();

    private final Map<String, Boolean> cut = new ConcurrentHashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final HttpServer server;

    FakeLfsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/repo.git/info/lfs/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor()); // a stalled exchange blocks no other
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/repo.git/info/lfs");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "-" : auth);
            if (requiredAuth != null
                    && !("Basic " + Base64.getEncoder().encodeToString(requiredAuth.getBytes(StandardCharsets.UTF_8)))
                            .equals(auth)) {
                ex.getResponseHeaders().add("LFS-Authenticate", "Basic realm=\"test\"");
                send(ex, 401, "{\"message\":\"credentials needed\"}");
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.endsWith("/objects/batch") && method.equals("POST")) batch(ex);
            else if (path.endsWith("/verify")) {
                verifyCalls.incrementAndGet();
                ex.getRequestBody().readAllBytes();
                send(ex, 200, "{}");
            } else if (path.contains("/store/")) transfer(ex, oidOf(path), method);
            else send(ex, 404, "{\"message\":\"no route\"}");
        }
    }

    private void transfer(HttpExchange ex, String oid, String method) throws IOException {
        int now = transfersInFlight.incrementAndGet();
        mostTransfersAtOnce.accumulateAndGet(now, Math::max);
        try {
            if (oid.equals(failingObject) && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failedTransfers.incrementAndGet();
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().add("Retry-After", "0");
                send(ex, 500, "{\"message\":\"failing on purpose\"}");
            } else if (method.equals("PUT")) {
                if (stallUpload) {
                    ex.getRequestBody().readNBytes(10);
                    waitUntilClosed();
                    return;
                }
                objects.put(oid, ex.getRequestBody().readAllBytes());
                send(ex, 200, "");
            } else if (method.equals("GET")) download(ex, oid);
            else send(ex, 405, "");
        } finally {
            transfersInFlight.decrementAndGet();
        }
    }

    private static String oidOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @SuppressWarnings("unchecked")
    private void batch(HttpExchange ex) throws IOException {
        batchCalls.incrementAndGet();
        if (transfersInFlight.get() > 0) batchCallsDuringTransfers.incrementAndGet();
        Map<String, Object> req =
                (Map<String, Object>) LfsJson.parse(ex.getRequestBody().readAllBytes());
        if (batchFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 500, "{\"message\":\"try again\"}");
            return;
        }
        if (endlessErrorBody) {
            ex.sendResponseHeaders(500, 0);
            endless(ex.getResponseBody(), (byte) 'x');
            return;
        }
        if (stallBatch) {
            stall(ex, 200, "{\"transfer\":");
            return;
        }
        if (endlessBatch) {
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write("{\"objects\":[".getBytes(StandardCharsets.UTF_8));
            endless(ex.getResponseBody(), (byte) ' ');
            return;
        }
        boolean upload = "upload".equals(req.get("operation"));
        String base = hrefBase != null ? hrefBase : endpoint().toString();
        StringBuilder out = new StringBuilder("{\"transfer\":\"basic\",\"objects\":[");
        String sep = "";
        for (Object o : (List<Object>) req.get("objects")) {
            Map<String, Object> obj = (Map<String, Object>) o;
            String oid = (String) obj.get("oid");
            out.append(sep)
                    .append("{\"oid\":\"")
                    .append(oid)
                    .append("\",\"size\":")
                    .append(obj.get("size"));
            sep = ",";
            String href = base + "/store/" + oid;
            if (upload && !objects.containsKey(oid)) {
                out.append(",\"actions\":{\"upload\":{\"href\":\"")
                        .append(href)
                        .append("\",\"header\":{\"X-Test\":\"1\"},\"expires_in\":3600},")
                        .append("\"verify\":{\"href\":\"")
                        .append(base)
                        .append("/verify\"}}");
            } else if (!upload && objects.containsKey(oid)) {
                out.append(",\"actions\":{\"download\":{\"href\":\"")
                        .append(href)
                        .append("\"}}");
            } else if (!upload) {
                out.append(",\"error\":{\"code\":")
                        .append(notFoundCode)
                        .append(",\"message\":\"Object does not exist\"}");
            }
            out.append('}');
        }
        out.append("]}");
        ex.getResponseHeaders().add("Content-Type", "application/vnd.git-lfs+json");
        send(ex, 200, out.toString());
    }

    private void download(HttpExchange ex, String oid) throws IOException {
        downloads.incrementAndGet();
        onDownload.run();
        byte[] body = objects.get(oid);
        if (body == null) {
            send(ex, 404, "");
            return;
        }
        if (redirectDownloadsTo != null) {
            ex.getResponseHeaders().add("Location", redirectDownloadsTo + "/store/" + oid);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        if (stallDownloadHeaders) {
            waitUntilClosed();
            return;
        }
        if (stallDownload) {
            stall(ex, 200, "0123456789");
            return;
        }
        if (endlessDownload) {
            ex.sendResponseHeaders(200, 0);
            endless(ex.getResponseBody(), (byte) 7);
            return;
        }
        if (extraBytes > 0) {
            ex.sendResponseHeaders(200, body.length + extraBytes);
            ex.getResponseBody().write(body);
            ex.getResponseBody().write(new byte[extraBytes]);
            return;
        }
        if (corrupt) {
            body = body.clone();
            body[body.length / 2] ^= 1;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            ranges.add(range);
            from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        ex.sendResponseHeaders(range == null ? 200 : 206, body.length - from);
        OutputStream out = ex.getResponseBody();
        if (cutAfter > 0 && cut.putIfAbsent(oid, true) == null) {
            out.write(body, 0, cutAfter);
            out.flush();
            throw new IOException("cut short on purpose");
        }
        out.write(body, from, body.length - from);
    }

    private void stall(HttpExchange ex, int code, String start) throws IOException {
        ex.sendResponseHeaders(code, 0);
        ex.getResponseBody().write(start.getBytes(StandardCharsets.UTF_8));
        ex.getResponseBody().flush();
        waitUntilClosed();
    }

    private void waitUntilClosed() {
        try {
            closed.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes until the client hangs up (or the server closes), so the body has no end. */
    private void endless(OutputStream out, byte fill) throws IOException {
        byte[] chunk = new byte[1 << 16];
        java.util.Arrays.fill(chunk, fill);
        while (closed.getCount() > 0) out.write(chunk);
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
