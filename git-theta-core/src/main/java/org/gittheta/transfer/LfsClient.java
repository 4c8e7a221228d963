package org.gittheta.transfer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectId;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;

/**
 * A Git LFS server through its batch API and the "basic" transfer adapter, as git-lfs talks to it: so any
 * Git LFS server can hold a repository's parameter objects, and no git-lfs binary is needed.
 */
public final class LfsClient implements ObjectRemote {
    private static final String LFS_JSON = "application/vnd.git-lfs+json";
    /** Servers commonly cap a batch request; git-lfs sends 100 objects per request too. */
    private static final int BATCH_SIZE = 100;
    /** An action that expires sooner than this is asked for again rather than started. */
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(5);

    /**
     * @param concurrency  transfers run at once ({@code lfs.concurrenttransfers})
     * @param attempts     tries per request before giving up on 429, 5xx and broken connections
     * @param firstBackoff the wait before the second try; it doubles for each further try
     */
    public record Options(int concurrency, int attempts, Duration firstBackoff) {
        public Options {
            if (concurrency < 1 || attempts < 1) throw new IllegalArgumentException("concurrency and attempts must be at least 1");
        }

        public static Options defaults() { return new Options(8, 5, Duration.ofMillis(250)); }
    }

    private final URI endpoint;
    private final Credentials credentials;
    private final Options options;
    private final Progress progress;
    private volatile Progress.Task task = Progress.NONE.start("", 0);
    private final HttpClient http;
    private final Object authLock = new Object();
    private Credentials.Credential credential;
    private boolean approved;

    /** @param endpoint the LFS API URL, e.g. {@code https://host/repo.git/info/lfs} */
    public LfsClient(URI endpoint, Credentials credentials, Options options, Progress progress) {
        String s = endpoint.toString();
        this.endpoint = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.credentials = credentials;
        this.options = options;
        this.progress = progress;
        // HTTP/1.1: a plain-http h2c upgrade confuses some servers, and LFS transfers gain nothing from HTTP/2
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    @Override public String describe() { return endpoint.toString(); }

    @Override public void fetch(Collection<ObjectRef> objects, ObjectStore into) throws IOException {
        List<ObjectRef> wanted = new ArrayList<>(new LinkedHashSet<>(objects));
        wanted.removeIf(r -> into.contains(r.id()));
        if (wanted.isEmpty()) return;
        List<BatchObject> todo = new ArrayList<>();
        for (BatchObject o : batch("download", wanted)) {
            if (o.error().isPresent()) {
                ObjectError e = o.error().get();
                if (e.code() == 404 || e.code() == 410) continue; // not there: the caller reports what is still missing
                throw new IOException(endpoint + ": object " + o.ref().id() + ": " + e);
            }
            if (!o.actions().containsKey("download")) throw new IOException(endpoint + ": object " + o.ref().id() + ": server gave no download action");
            todo.add(o);
        }
        task = progress.start("Downloading objects", todo.stream().mapToLong(o -> o.ref().size()).sum(), todo.size());
        try {
            parallel(todo, o -> download(o, into));
        } finally {
            task.close();
        }
    }

    @Override public int push(Collection<ObjectRef> objects, ObjectStore from) throws IOException {
        List<ObjectRef> all = new ArrayList<>(new LinkedHashSet<>(objects));
        if (all.isEmpty()) return 0;
        List<BatchObject> todo = new ArrayList<>();
        for (BatchObject o : batch("upload", all)) {
            if (o.error().isPresent()) throw new IOException(endpoint + ": cannot upload object " + o.ref().id() + ": " + o.error().get());
            if (!o.actions().containsKey("upload")) continue; // the server has it already
            if (!from.contains(o.ref().id())) {
                throw new IOException("object " + o.ref().id() + " must be uploaded to " + endpoint
                        + " but is missing locally; fetch it first ('git theta fetch --all')");
            }
            todo.add(o);
        }
        task = progress.start("Uploading objects", todo.stream().mapToLong(o -> o.ref().size()).sum(), todo.size());
        try {
            parallel(todo, o -> upload(o, from));
        } finally {
            task.close();
        }
        return todo.size();
    }

    // ---- batch API

    record Action(URI href, Map<String, String> header, Optional<Instant> expiresAt) {
        boolean expiresSoon() {
            return expiresAt.isPresent() && expiresAt.get().isBefore(Instant.now().plus(EXPIRY_MARGIN));
        }
    }

    record ObjectError(long code, String message) {
        @Override public String toString() {
            String kind = switch ((int) code) {
                case 404 -> "not found";
                case 410 -> "removed from the server";
                case 422 -> "rejected as invalid";
                default -> "error";
            };
            return kind + " (" + code + ")" + (message.isEmpty() ? "" : ": " + message);
        }
    }

    record BatchObject(ObjectRef ref, Map<String, Action> actions, Optional<ObjectError> error) {}

    List<BatchObject> batch(String operation, List<ObjectRef> refs) throws IOException {
        List<BatchObject> out = new ArrayList<>();
        for (int i = 0; i < refs.size(); i += BATCH_SIZE) {
            out.addAll(batchOnce(operation, refs.subList(i, Math.min(refs.size(), i + BATCH_SIZE))));
        }
        return out;
    }

    private List<BatchObject> batchOnce(String operation, List<ObjectRef> refs) throws IOException {
        byte[] body = LfsJson.batchRequest(operation, refs);
        URI url = URI.create(endpoint + "/objects/batch");
        HttpResponse<byte[]> r = send("batch " + operation, url, true, () -> HttpRequest.newBuilder(url)
                .header("Accept", LFS_JSON).header("Content-Type", LFS_JSON)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw new IOException(url + ": batch " + operation + " failed: " + status(r));
        Map<String, Object> doc = map(LfsJson.parse(r.body()), "batch response");
        Object transfer = doc.get("transfer");
        if (transfer != null && !"basic".equals(transfer)) throw new IOException(url + ": server chose unsupported transfer '" + transfer + "'");
        Map<String, ObjectRef> asked = new LinkedHashMap<>();
        for (ObjectRef ref : refs) asked.put(ref.id().hex(), ref);
        List<BatchObject> out = new ArrayList<>();
        for (Object item : list(doc.get("objects"))) {
            Map<String, Object> o = map(item, "batch object");
            ObjectRef ref = asked.get(String.valueOf(o.get("oid")));
            if (ref == null) continue; // not one we asked about
            Optional<ObjectError> error = Optional.empty();
            if (o.get("error") instanceof Map<?, ?> e) {
                error = Optional.of(new ObjectError(e.get("code") instanceof Long c ? c : 0, String.valueOf(e.get("message") == null ? "" : e.get("message"))));
            }
            Map<String, Action> actions = new LinkedHashMap<>();
            if (o.get("actions") instanceof Map<?, ?> as) {
                for (var a : as.entrySet()) actions.put(String.valueOf(a.getKey()), action(url, map(a.getValue(), "action")));
            }
            out.add(new BatchObject(ref, actions, error));
        }
        return out;
    }

    private static Action action(URI base, Map<String, Object> a) throws IOException {
        Object href = a.get("href");
        if (!(href instanceof String h)) throw new IOException(base + ": batch action without href");
        Map<String, String> header = new LinkedHashMap<>();
        if (a.get("header") instanceof Map<?, ?> hs) hs.forEach((k, v) -> header.put(String.valueOf(k), String.valueOf(v)));
        Optional<Instant> expires = Optional.empty();
        if (a.get("expires_in") instanceof Long in && in != 0) {
            expires = Optional.of(Instant.now().plusSeconds(in));
        } else if (a.get("expires_at") instanceof String at && !at.startsWith("0001-01-01")) {
            try {
                expires = Optional.of(Instant.parse(at));
            } catch (DateTimeParseException e) {
                throw new IOException(base + ": batch action has a bad expires_at '" + at + "'", e);
            }
        }
        return new Action(base.resolve(h), header, expires);
    }

    /** The action to run now: asked for again when the one in hand has expired or is about to. */
    private Action fresh(String operation, BatchObject o) throws IOException {
        Action a = o.actions().get(operation);
        if (!a.expiresSoon()) return a;
        BatchObject again = batch(operation, List.of(o.ref())).getFirst();
        if (again.error().isPresent() || !again.actions().containsKey(operation)) {
            throw new IOException(endpoint + ": object " + o.ref().id() + ": " + again.error().map(Object::toString).orElse("no " + operation + " action"));
        }
        return again.actions().get(operation);
    }

    // ---- transfers

    private void download(BatchObject o, ObjectStore into) throws IOException {
        ObjectId id = o.ref().id();
        long size = o.ref().size();
        Path part = into.lfsDir().resolve("incomplete").resolve(id.hex() + ".part");
        Files.createDirectories(part.getParent());
        if (Files.exists(part)) task.advance(Math.min(Files.size(part), size)); // left by an earlier, interrupted fetch
        for (int attempt = 1; ; attempt++) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (have > size) {
                Files.delete(part);
                have = 0;
            }
            if (have == size && (size > 0 || attempt > 1)) break;
            Action a = fresh("download", o);
            long from = have;
            HttpResponse<InputStream> r = send("download " + id.abbreviated(), a.href(), false, () -> {
                HttpRequest.Builder b = HttpRequest.newBuilder(a.href()).GET();
                a.header().forEach(b::header);
                if (from > 0) b.header("Range", "bytes=" + from + "-");
                return b;
            }, HttpResponse.BodyHandlers.ofInputStream());
            boolean append;
            if (r.statusCode() == 206 && r.headers().firstValue("Content-Range").orElse("").startsWith("bytes " + from + "-")) {
                append = true;
            } else if (r.statusCode() == 200) {
                append = false; // the server ignored the range: start over
            } else {
                r.body().close();
                if (r.statusCode() == 416) {
                    Files.deleteIfExists(part);
                    continue;
                }
                throw new IOException(a.href() + ": download of object " + id + " failed: " + status(r));
            }
            task.advance(append ? 0 : -from);
            try (InputStream in = r.body();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                copy(in, out);
            } catch (IOException e) {
                // a broken connection: what arrived stays in the .part file and the next try asks for the rest
                if (attempt >= options.attempts()) throw new IOException(a.href() + ": download of object " + id + " kept failing: " + e.getMessage(), e);
                pause(attempt, Optional.empty());
            }
        }
        try (InputStream in = Files.newInputStream(part)) {
            into.put(id, in);
        } catch (CorruptObjectException e) {
            throw new IOException(endpoint + " served a corrupt object " + id + " (" + e.getMessage() + "); it was not stored", e);
        } finally {
            Files.deleteIfExists(part);
        }
        task.itemDone();
    }

    private void upload(BatchObject o, ObjectStore from) throws IOException {
        ObjectId id = o.ref().id();
        Path file = from.pathOf(id);
        long size = Files.size(file);
        Action a = fresh("upload", o);
        long[] sent = {0};
        HttpResponse<byte[]> r = send("upload " + id.abbreviated(), a.href(), false, () -> {
            task.advance(-sent[0]); // a retried upload starts again from the first byte
            sent[0] = 0;
            HttpRequest.Builder b = HttpRequest.newBuilder(a.href());
            if (a.header().keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Content-Type"))) b.header("Content-Type", "application/octet-stream");
            a.header().forEach(b::header);
            return b.PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> counting(file, sent)), size));
        }, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) throw new IOException(a.href() + ": upload of object " + id + " failed: " + status(r));
        Action verify = o.actions().get("verify");
        if (verify != null) {
            byte[] body = LfsJson.verifyRequest(o.ref());
            HttpResponse<byte[]> v = send("verify " + id.abbreviated(), verify.href(), false, () -> {
                HttpRequest.Builder b = HttpRequest.newBuilder(verify.href()).header("Accept", LFS_JSON).header("Content-Type", LFS_JSON);
                verify.header().forEach(b::header);
                return b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
            }, HttpResponse.BodyHandlers.ofByteArray());
            if (v.statusCode() / 100 != 2) throw new IOException(verify.href() + ": server did not verify object " + id + ": " + status(v));
        }
        task.itemDone();
    }

    private InputStream counting(Path file, long[] sent) {
        try {
            return new FilterInputStream(Files.newInputStream(file)) {
                @Override public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        sent[0] += n;
                        task.advance(n);
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            task.advance(n);
        }
    }

    // ---- requests: authentication and retries

    /**
     * Sends a request, retrying 429, 5xx and broken connections with backoff, and answering 401 with the
     * credentials {@code git credential} gives. {@code api} requests always carry the credentials once known;
     * transfer requests carry them only when the server gave no headers of its own.
     */
    private <T> HttpResponse<T> send(String what, URI url, boolean api, Supplier<HttpRequest.Builder> request,
                                     HttpResponse.BodyHandler<T> handler) throws IOException {
        boolean usedCredential = false;
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder b = request.get().timeout(Duration.ofMinutes(10));
            Credentials.Credential c = currentCredential();
            boolean withCredential = c != null && (api || !b.build().headers().firstValue("Authorization").isPresent());
            if (withCredential) b.setHeader("Authorization", c.basicAuthorization());
            HttpResponse<T> r;
            try {
                r = http.send(b.build(), handler);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(what + " interrupted", e);
            } catch (IOException e) {
                if (attempt >= options.attempts()) throw new IOException(url + ": " + what + " failed after " + attempt + " tries: " + e, e);
                pause(attempt, Optional.empty());
                continue;
            }
            int code = r.statusCode();
            if (code == 401) {
                discard(r);
                if (withCredential) {
                    credentials.reject(endpoint, c);
                    throw new IOException(url + ": authentication failed (HTTP 401) for user '" + c.username() + "'");
                }
                if (usedCredential || !obtainCredential()) throw new IOException(url + ": authentication required (HTTP 401) and git credential gave none");
                usedCredential = true;
                attempt--;
                continue;
            }
            if (code == 403) {
                discard(r);
                throw new IOException(url + ": access denied (HTTP 403)" + (c == null ? "" : " for user '" + c.username() + "'"));
            }
            if ((code == 429 || code / 100 == 5) && attempt < options.attempts()) {
                discard(r);
                pause(attempt, r.headers().firstValue("Retry-After"));
                continue;
            }
            if (withCredential) approve(c);
            return r;
        }
    }

    private Credentials.Credential currentCredential() {
        synchronized (authLock) { return credential; }
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

    private void pause(int attempt, Optional<String> retryAfter) throws IOException {
        long millis = options.firstBackoff().toMillis() << Math.min(attempt - 1, 10);
        if (retryAfter.isPresent() && retryAfter.get().matches("\\d{1,4}")) millis = Math.max(millis, Long.parseLong(retryAfter.get()) * 1000);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry", e);
        }
    }

    private static void discard(HttpResponse<?> r) throws IOException {
        if (r.body() instanceof InputStream in) in.close();
    }

    private static String status(HttpResponse<?> r) throws IOException {
        String body = switch (r.body()) {
            case byte[] b -> new String(b, 0, Math.min(b.length, 300), java.nio.charset.StandardCharsets.UTF_8);
            case InputStream in -> {
                try (in) {
                    yield new String(in.readNBytes(300), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            case null, default -> "";
        };
        String message = body;
        try {
            if (LfsJson.parse(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)) instanceof Map<?, ?> m && m.get("message") != null) message = String.valueOf(m.get("message"));
        } catch (IOException notJson) {
            // a plain-text or HTML error page: show its start as it is
        }
        return "HTTP " + r.statusCode() + (message.isBlank() ? "" : ": " + message.strip());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) throws IOException {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IOException("Git LFS server sent a malformed " + what);
    }

    private static List<?> list(Object o) throws IOException {
        if (o instanceof List<?> l) return l;
        throw new IOException("Git LFS server sent a batch response without objects");
    }

    @FunctionalInterface
    private interface Work<T> {
        void run(T item) throws IOException;
    }

    /** Runs the transfers {@code concurrency} at a time; every failure is reported, the first as the cause. */
    private <T> void parallel(List<T> items, Work<T> work) throws IOException {
        List<Future<?>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(options.concurrency(), Thread.ofVirtual().factory())) {
            for (T item : items) futures.add(pool.submit(() -> {
                work.run(item);
                return null;
            }));
        }
        IOException first = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                IOException io = e.getCause() instanceof IOException x ? x : new IOException(String.valueOf(e.getCause()), e.getCause());
                if (first == null) first = io;
                else first.addSuppressed(io);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        if (first != null) throw first;
    }
}
