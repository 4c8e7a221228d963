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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Git LFS server on loopback (the JDK's HTTP server) that can misbehave on purpose: fail batch requests with
 * 500, require basic auth, serve corrupt bytes, cut a download short, answer Range requests.
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
    private final Map<String, Boolean> cut = new ConcurrentHashMap<>();
    private final HttpServer server;

    FakeLfsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/repo.git/info/lfs/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/repo.git/info/lfs");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (requiredAuth != null && !("Basic " + Base64.getEncoder().encodeToString(requiredAuth.getBytes(StandardCharsets.UTF_8))).equals(auth)) {
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
            } else if (path.contains("/store/") && method.equals("PUT")) {
                objects.put(oidOf(path), ex.getRequestBody().readAllBytes());
                send(ex, 200, "");
            } else if (path.contains("/store/") && method.equals("GET")) download(ex, oidOf(path));
            else send(ex, 404, "{\"message\":\"no route\"}");
        }
    }

    private static String oidOf(String path) { return path.substring(path.lastIndexOf('/') + 1); }

    @SuppressWarnings("unchecked")
    private void batch(HttpExchange ex) throws IOException {
        batchCalls.incrementAndGet();
        Map<String, Object> req = (Map<String, Object>) LfsJson.parse(ex.getRequestBody().readAllBytes());
        if (batchFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 500, "{\"message\":\"try again\"}");
            return;
        }
        boolean upload = "upload".equals(req.get("operation"));
        String base = endpoint().toString();
        StringBuilder out = new StringBuilder("{\"transfer\":\"basic\",\"objects\":[");
        String sep = "";
        for (Object o : (List<Object>) req.get("objects")) {
            Map<String, Object> obj = (Map<String, Object>) o;
            String oid = (String) obj.get("oid");
            out.append(sep).append("{\"oid\":\"").append(oid).append("\",\"size\":").append(obj.get("size"));
            sep = ",";
            String href = base + "/store/" + oid;
            if (upload && !objects.containsKey(oid)) {
                out.append(",\"actions\":{\"upload\":{\"href\":\"").append(href).append("\",\"header\":{\"X-Test\":\"1\"},\"expires_in\":3600},")
                        .append("\"verify\":{\"href\":\"").append(base).append("/verify\"}}");
            } else if (!upload && objects.containsKey(oid)) {
                out.append(",\"actions\":{\"download\":{\"href\":\"").append(href).append("\"}}");
            } else if (!upload) {
                out.append(",\"error\":{\"code\":").append(notFoundCode).append(",\"message\":\"Object does not exist\"}");
            }
            out.append('}');
        }
        out.append("]}");
        ex.getResponseHeaders().add("Content-Type", "application/vnd.git-lfs+json");
        send(ex, 200, out.toString());
    }

    private void download(HttpExchange ex, String oid) throws IOException {
        byte[] body = objects.get(oid);
        if (body == null) {
            send(ex, 404, "");
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

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
    }

    @Override public void close() { server.stop(0); }
}
