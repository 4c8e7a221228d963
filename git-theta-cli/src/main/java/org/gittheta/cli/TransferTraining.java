package org.gittheta.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.Credentials;
import org.gittheta.transfer.LfsClient;

/**
 * The transfer part of the AOT training run ({@link AotTraining}): objects pushed to and fetched from a Git LFS
 * server on loopback, twice each, so that the cache holds the JDK's HTTP client, the batch JSON, hashing and the
 * store's landing path with their profiles. Without it every {@code git push}, clone and fetch ran all of that
 * interpreted and loaded it class by class, which cost more than the transfer itself for a model of 1,000+
 * parameters on a busy machine (docs/performance.md, "Transfers").
 */
final class TransferTraining {
    /** Enough requests of each kind (batch, upload, verify, download) for the JIT's profiles to settle. */
    private static final int OBJECTS = 240;

    private static final int OBJECT_BYTES = 24 << 10;
    private static final Pattern OID = Pattern.compile("\"oid\"\\s*:\\s*\"([0-9a-f]{64})\"");

    private TransferTraining() {}

    /** @param work an empty directory that the caller removes */
    static void run(Path work) throws IOException {
        ObjectStore from = new ObjectStore(work.resolve("pushed"));
        List<ObjectRef> refs = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < OBJECTS; i++) {
            byte[] bytes = new byte[OBJECT_BYTES];
            random.nextBytes(bytes);
            refs.add(new ObjectRef(from.write(out -> out.write(bytes)), bytes.length));
        }
        try (LoopbackLfs server = new LoopbackLfs()) {
            LfsClient client =
                    new LfsClient(server.endpoint(), Credentials.NONE, LfsClient.Options.defaults(), Progress.NONE);
            for (int pass = 1; pass <= 2; pass++) {
                server.objects.clear();
                client.push(refs, from);
                client.fetch(refs, new ObjectStore(work.resolve("fetched-" + pass)));
            }
        }
    }

    /** The batch API and basic transfers, objects in memory: just what the client needs, for the training only. */
    private static final class LoopbackLfs implements AutoCloseable {
        final Map<String, byte[]> objects = new ConcurrentHashMap<>();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final HttpServer server;

        LoopbackLfs() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/lfs/", this::handle);
            server.setExecutor(threads);
            server.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/lfs");
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                byte[] body = ex.getRequestBody().readAllBytes();
                String oid = path.substring(path.lastIndexOf('/') + 1);
                switch (ex.getRequestMethod()) {
                    case "POST" -> send(ex, path.endsWith("/objects/batch") ? batch(body) : new byte[0]);
                    case "PUT" -> {
                        objects.put(oid, body);
                        send(ex, new byte[0]);
                    }
                    default -> send(ex, objects.get(oid));
                }
            }
        }

        private byte[] batch(byte[] request) {
            boolean upload = new String(request, StandardCharsets.UTF_8).contains("\"upload\"");
            StringBuilder out = new StringBuilder("{\"transfer\":\"basic\",\"objects\":[");
            Matcher m = OID.matcher(new String(request, StandardCharsets.UTF_8));
            for (String sep = ""; m.find(); sep = ",") {
                String oid = m.group(1);
                String href = endpoint() + "/store/" + oid;
                out.append(sep)
                        .append("{\"oid\":\"")
                        .append(oid)
                        .append("\",\"size\":")
                        .append(OBJECT_BYTES);
                out.append(",\"actions\":{");
                if (upload) {
                    out.append("\"upload\":{\"href\":\"").append(href).append("\",\"expires_in\":3600},");
                    out.append("\"verify\":{\"href\":\"").append(endpoint()).append("/verify\"}}}");
                } else {
                    out.append("\"download\":{\"href\":\"").append(href).append("\"}}}");
                }
            }
            return out.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        }

        private static void send(HttpExchange ex, byte[] body) throws IOException {
            ex.getResponseHeaders().add("Content-Type", "application/vnd.git-lfs+json");
            ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            if (body.length > 0) ex.getResponseBody().write(body);
        }

        @Override
        public void close() {
            server.stop(0);
            threads.close();
        }
    }
}
