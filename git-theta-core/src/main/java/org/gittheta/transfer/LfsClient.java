package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.LfsJson.Action;
import org.gittheta.transfer.LfsJson.BatchObject;
import org.gittheta.transfer.LfsJson.ObjectError;

/**
 * A Git LFS server through its batch API and the "basic" transfer adapter, as git-lfs talks to it: so any
 * Git LFS server can hold a repository's parameter objects, and no git-lfs binary is needed.
 */
public final class LfsClient implements ObjectRemote {
    private static final String LFS_JSON = "application/vnd.git-lfs+json";
    private static final Map<String, String> JSON_HEADERS = Map.of("Accept", LFS_JSON, "Content-Type", LFS_JSON);
    /** Bytes read from the socket or the object's file at a time. */
    private static final int CHUNK = 256 << 10;
    /** Servers commonly cap a batch request; git-lfs sends 100 objects per request too. */
    private static final int BATCH_SIZE = 100;
    /** 100 objects with presigned URLs and headers take a few hundred KiB; more is not a batch reply. */
    static final int BATCH_REPLY_LIMIT = 8 << 20;
    /** git-lfs's default for {@code lfs.activitytimeout}. */
    public static final Duration DEFAULT_ACTIVITY_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param concurrency     transfers run at once ({@code lfs.concurrenttransfers})
     * @param attempts        tries per request before giving up on 429, 5xx, broken and stalled connections
     * @param firstBackoff    the wait before the second try; it doubles for each further try
     * @param activityTimeout a request or body read that moves no byte for this long is aborted and tried again
     *                        ({@code lfs.activitytimeout}, in seconds, in git-lfs)
     */
    public record Options(int concurrency, int attempts, Duration firstBackoff, Duration activityTimeout) {
        public Options {
            if (concurrency < 1 || attempts < 1) {
                throw new IllegalArgumentException("concurrency and attempts must be at least 1");
            }
            if (!activityTimeout.isPositive()) throw new IllegalArgumentException("activityTimeout must be positive");
        }

        public Options(int concurrency, int attempts, Duration firstBackoff) {
            this(concurrency, attempts, firstBackoff, DEFAULT_ACTIVITY_TIMEOUT);
        }

        public static Options defaults() {
            return new Options(8, 5, Duration.ofMillis(250));
        }

        public Options withActivityTimeout(Duration timeout) {
            return new Options(concurrency, attempts, firstBackoff, timeout);
        }
    }

    private final URI endpoint;
    private final Options options;
    private final Progress progress;
    private volatile Progress.Task task = Progress.NONE.start("", 0);
    private final LfsHttp http;

    /** @param endpoint the LFS API URL, e.g. {@code https://host/repo.git/info/lfs} */
    public LfsClient(URI endpoint, Credentials credentials, Options options, Progress progress) {
        this(endpoint, credentials, Optional.empty(), HttpSettings.NONE, options, progress);
    }

    /**
     * @param endpoint the LFS API URL, e.g. {@code https://host/repo.git/info/lfs}
     * @param ssh      for an SSH remote, its server's grant of a token (and maybe another API URL) per operation
     * @param http     git's http settings: extra headers and the proxy
     */
    public LfsClient(
            URI endpoint,
            Credentials credentials,
            Optional<SshAuthentication> ssh,
            HttpSettings http,
            Options options,
            Progress progress) {
        this.endpoint = LfsHttp.withoutTrailingSlash(endpoint);
        this.options = options;
        this.progress = progress;
        this.http = new LfsHttp(this.endpoint, credentials, ssh, http, options);
    }

    @Override
    public String describe() {
        return endpoint.toString();
    }

    @Override
    public void fetch(Collection<ObjectRef> objects, ObjectStore into) throws IOException {
        List<ObjectRef> wanted = new ArrayList<>(new LinkedHashSet<>(objects));
        for (var it = wanted.iterator(); it.hasNext(); ) {
            if (into.containsIntact(it.next().id())) it.remove(); // a corrupt copy is fetched again, and replaced
        }
        if (wanted.isEmpty()) return;
        try {
            pipeline(
                    "download",
                    "Downloading objects",
                    wanted,
                    o -> {
                        if (o.error().isPresent()) {
                            ObjectError e = o.error().get();
                            if (e.code() == 404 || e.code() == 410)
                                return false; // the caller reports what is still missing
                            throw new IOException(
                                    endpoint + ": object " + o.ref().id() + ": " + e);
                        }
                        if (!o.actions().containsKey("download")) {
                            throw new IOException(
                                    endpoint + ": object " + o.ref().id() + ": server gave no download action");
                        }
                        return true;
                    },
                    o -> download(o, into));
        } finally {
            into.sync(); // what arrived is on disk before a manifest naming it is checked out or recorded
        }
    }

    @Override
    public int push(Collection<ObjectRef> objects, ObjectStore from) throws IOException {
        List<ObjectRef> all = new ArrayList<>(new LinkedHashSet<>(objects));
        if (all.isEmpty()) return 0;
        return pipeline(
                "upload",
                "Uploading objects",
                all,
                o -> {
                    if (o.error().isPresent()) {
                        throw new IOException(endpoint + ": cannot upload object "
                                + o.ref().id() + ": " + o.error().get());
                    }
                    if (!o.actions().containsKey("upload")) return false; // the server has it already
                    if (!from.contains(o.ref().id())) {
                        throw new IOException("object " + o.ref().id() + " must be uploaded to " + endpoint
                                + " but is missing locally; fetch it first ('git theta fetch --all')");
                    }
                    return true;
                },
                o -> upload(o, from));
    }

    @Override
    public Set<ObjectId> holding(Collection<ObjectRef> objects) throws IOException {
        Set<ObjectId> held = new HashSet<>();
        if (objects.isEmpty()) return held;
        for (BatchObject o : batch("download", new ArrayList<>(new LinkedHashSet<>(objects)))) {
            if (o.error().isEmpty() && o.actions().containsKey("download"))
                held.add(o.ref().id());
        }
        return held;
    }

    // ---- batch API

    List<BatchObject> batch(String operation, List<ObjectRef> refs) throws IOException {
        List<BatchObject> out = new ArrayList<>();
        for (int i = 0; i < refs.size(); i += BATCH_SIZE) {
            out.addAll(batchOnce(operation, refs.subList(i, Math.min(refs.size(), i + BATCH_SIZE))));
        }
        return out;
    }

    private List<BatchObject> batchOnce(String operation, List<ObjectRef> refs) throws IOException {
        byte[] body = LfsJson.batchRequest(operation, refs);
        URI url = URI.create(http.api(operation) + "/objects/batch");
        String what = "batch " + operation;
        for (int attempt = 1; ; attempt++) {
            LfsHttp.Response r = http.send(
                    new LfsHttp.Request(what, url, Map.of(), (u, watch) -> LfsHttp.Outgoing.post(JSON_HEADERS, body)));
            if (r.status() != 200) throw new IOException(url + ": " + what + " failed: " + LfsHttp.status(r));
            byte[] reply;
            try {
                reply = LfsHttp.readAll(r, BATCH_REPLY_LIMIT, what);
            } catch (LfsProtocolException e) {
                throw e;
            } catch (IOException e) {
                // the reply broke off or stalled: ask again
                if (attempt >= options.attempts()) {
                    throw new IOException(
                            url + ": " + what + " failed after " + attempt + " tries: "
                                    + LfsHttp.oneLine(String.valueOf(e.getMessage()), 200),
                            e);
                }
                http.pause(attempt, Optional.empty());
                continue;
            }
            return LfsJson.batchResponse(reply, url, refs);
        }
    }

    /** The action to run now: asked for again when the one in hand has expired or is about to. */
    private Action fresh(String operation, BatchObject o) throws IOException {
        Action a = o.actions().get(operation);
        if (!a.expiresSoon()) return a;
        BatchObject again = batch(operation, List.of(o.ref())).getFirst();
        if (again.error().isPresent() || !again.actions().containsKey(operation)) {
            throw new IOException(endpoint + ": object " + o.ref().id() + ": "
                    + again.error().map(Object::toString).orElse("no " + operation + " action"));
        }
        return again.actions().get(operation);
    }

    // ---- transfers

    private void download(BatchObject o, ObjectStore into) throws IOException {
        ObjectId id = o.ref().id();
        long size = o.ref().size();
        String what = "download of object " + id;
        Path incomplete = into.storeDir().resolve("incomplete");
        Path resumable = incomplete.resolve(id.hex() + ".part");
        Path part = claim(resumable, incomplete, id);
        boolean keepForResume = false;
        try {
            LandingFile landing = new LandingFile(part);
            if (landing.held() > size) landing.clear();
            task.advance(landing.held());
            try {
                for (int attempt = 1; ; attempt++) {
                    long have = landing.held();
                    if (have == size && (size > 0 || attempt > 1)) break;
                    Action a = fresh("download", o);
                    LfsHttp.Response r = http.send(new LfsHttp.Request(
                            what,
                            a.href(),
                            a.header(),
                            (u, watch) -> LfsHttp.Outgoing.get(
                                    have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of())));
                    boolean append = r.status() == 206
                            && r.header("Content-Range").orElse("").startsWith("bytes " + have + "-");
                    if (!append && r.status() != 200) {
                        String status = LfsHttp.status(r);
                        if (r.status() != 416 || attempt >= options.attempts()) {
                            throw new IOException(r.url() + ": " + what + " failed: " + status);
                        }
                        landing.clear(); // the range we asked for is gone: start over
                        task.advance(-have);
                        continue;
                    }
                    long room = size - (append ? have : 0);
                    if (r.contentLength().orElse(0L) > room) {
                        r.close();
                        throw new LfsProtocolException(r.url() + ": " + what + ": the server sends "
                                + r.contentLength().get() + " bytes but the object has " + size
                                + (append ? " and " + have + " are here already" : ""));
                    }
                    if (!append) {
                        landing.clear(); // the whole object comes again
                        task.advance(-have);
                    }
                    try {
                        receive(r, landing, room, what);
                        if (landing.held() < size) {
                            throw new IOException("the reply ended after " + landing.held() + " of " + size + " bytes");
                        }
                    } catch (LfsProtocolException e) {
                        throw e;
                    } catch (IOException e) {
                        // a broken or stalled connection: what arrived stays, and the next try asks for the rest
                        if (attempt >= options.attempts()) {
                            throw new IOException(
                                    r.url() + ": " + what + " kept failing after " + attempt + " tries: "
                                            + LfsHttp.oneLine(String.valueOf(e.getMessage()), 200),
                                    e);
                        }
                        http.pause(attempt, Optional.empty());
                    }
                }
            } catch (LfsProtocolException e) {
                throw e;
            } catch (IOException e) {
                // every try failed (a broken connection, then a server that stopped answering): what arrived is
                // kept for the next fetch to ask for the rest, hashed with it before the object is stored
                keepForResume = landing.held() > 0;
                throw e;
            }
            try {
                into.putFile(id, landing.id(), part); // renamed in place: no second copy, no second read
            } catch (CorruptObjectException e) {
                throw new IOException(
                        endpoint + " served a corrupt object " + id + " (" + e.getMessage() + "); it was not stored",
                        e);
            }
        } finally {
            release(part, keepForResume ? resumable : null);
        }
        task.itemDone();
    }

    /**
     * A file of this process's own to download into, holding what an interrupted fetch left in
     * {@code <oid>.part} if there is such a file: the rename gives it to one process only, so two processes
     * fetching the same object never write into one file.
     */
    private static Path claim(Path resumable, Path incomplete, ObjectId id) throws IOException {
        Files.createDirectories(incomplete);
        Path mine = Files.createTempFile(incomplete, id.hex() + ".", ".part");
        try {
            Files.move(resumable, mine, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException nothingToResume) {
            // start from the empty file
        }
        return mine;
    }

    /** Deletes the download file, or leaves it as {@code resumeAs} for the next fetch to continue. */
    private static void release(Path part, Path resumeAs) throws IOException {
        if (resumeAs != null) {
            try {
                Files.move(part, resumeAs, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException anotherIsThere) {
                // keep the one already there
            }
        }
        Files.deleteIfExists(part);
    }

    /** Appends the body to the landing file, failing beyond {@code room} bytes. */
    private void receive(LfsHttp.Response r, LandingFile landing, long room, String what) throws IOException {
        long got = 0;
        try (InputStream in = r.body();
                LandingFile.Appender out = landing.appender()) {
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (n > room - got) {
                    throw new LfsProtocolException(r.url() + ": " + what + ": the server sends more than the " + room
                            + " bytes it should; the partial download was deleted");
                }
                out.write(buf, n);
                got += n;
                task.advance(n);
            }
        }
    }

    private void upload(BatchObject o, ObjectStore from) throws IOException {
        ObjectId id = o.ref().id();
        String what = "upload of object " + id;
        Path file = from.readableFile(id);
        long size = o.ref().size();
        if (size == 0) from.verify(id); // an empty body is sent whole before any check of it could refuse it
        Action a = fresh("upload", o);
        long[] sent = {0};
        CorruptObjectException[] corrupt = {null};
        Map<String, String> header = new LinkedHashMap<>();
        if (a.header().keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Content-Type"))) {
            header.put("Content-Type", "application/octet-stream");
        }
        header.putAll(a.header());
        LfsHttp.Response r;
        try {
            r = http.send(new LfsHttp.Request(what, a.href(), header, (u, watch) -> {
                task.advance(-sent[0]); // a retried upload starts again from the first byte
                sent[0] = 0;
                return new LfsHttp.Outgoing(
                        "PUT", Map.of(), size, out -> sendChecked(id, file, size, out, sent, corrupt, watch));
            }));
        } catch (IOException e) {
            if (corrupt[0] == null) throw e;
            throw new IOException(
                    "not uploading to " + endpoint + ": " + corrupt[0].getMessage()
                            + "; restore it with 'git theta fetch' from a remote that has it intact",
                    corrupt[0]);
        }
        if (r.status() / 100 != 2) throw new IOException(r.url() + ": " + what + " failed: " + LfsHttp.status(r));
        LfsHttp.drain(r);
        Action verify = o.actions().get("verify");
        if (verify != null) {
            byte[] body = LfsJson.verifyRequest(o.ref());
            LfsHttp.Response v = http.send(new LfsHttp.Request(
                    "verify of object " + id,
                    verify.href(),
                    verify.header(),
                    (u, watch) -> LfsHttp.Outgoing.post(JSON_HEADERS, body)));
            if (v.status() / 100 != 2) {
                throw new IOException(v.url() + ": server did not verify object " + id + ": " + LfsHttp.status(v));
            }
            LfsHttp.drain(v);
        }
        task.itemDone();
    }

    /**
     * Sends an object's bytes from its file, hashed on the way instead of in a pass of their own before the upload:
     * the last bytes are held back until the hash and the length are checked, so the server never receives the
     * whole of a corrupt object (its upload breaks off short of its length, and is not sent again).
     */
    private void sendChecked(
            ObjectId id,
            Path file,
            long size,
            OutputStream out,
            long[] sent,
            CorruptObjectException[] corrupt,
            StallWatch watch)
            throws IOException {
        if (corrupt[0] != null) throw corrupt[0]; // a retry after the object was found corrupt reads nothing again
        MessageDigest sha = ObjectStore.sha256();
        byte[] buf = new byte[CHUNK];
        long read = 0;
        try (InputStream in = Files.newInputStream(file)) {
            while (read < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - read));
                if (n < 0) throw refuse(id, corrupt, "it holds " + read + " of its " + size + " bytes");
                sha.update(buf, 0, n);
                read += n;
                if (read == size) {
                    if (in.read() >= 0) throw refuse(id, corrupt, "it holds more than its " + size + " bytes");
                    ObjectId actual = ObjectId.fromDigest(sha.digest());
                    if (!actual.equals(id)) throw refuse(id, corrupt, "its bytes hash to " + actual);
                }
                out.write(buf, 0, n);
                sent[0] += n;
                task.advance(n);
                watch.activity();
            }
        }
    }

    private static CorruptObjectException refuse(ObjectId id, CorruptObjectException[] corrupt, String why) {
        corrupt[0] = new CorruptObjectException(id, why);
        return corrupt[0];
    }

    @FunctionalInterface
    private interface Work {
        void run(BatchObject o) throws IOException;
    }

    /** Whether the batch reply's object is to be transferred; throws when the reply makes that impossible. */
    @FunctionalInterface
    private interface Admission {
        boolean wanted(BatchObject o) throws IOException;
    }

    /**
     * Runs one operation's transfers as git-lfs's transfer queue does: batch requests of {@value #BATCH_SIZE} objects,
     * each asked for as soon as the previous batch's objects are queued, so the next reply arrives while transfers
     * run; {@code concurrency} transfers at once, on the HTTP client's kept-alive connections. At most one batch of
     * transfers waits, so actions are used soon after the server hands them out. After a failure no further batch
     * is asked for; the transfers under way finish, and every failure is reported, the first as the cause.
     *
     * @return how many objects were transferred
     */
    private int pipeline(String operation, String label, List<ObjectRef> refs, Admission admission, Work work)
            throws IOException {
        Failures failures = new Failures();
        AtomicInteger transferred = new AtomicInteger();
        Semaphore queued = new Semaphore(BATCH_SIZE);
        Progress.Task started =
                progress.start(label, refs.stream().mapToLong(ObjectRef::size).sum(), refs.size());
        task = started;
        try (started;
                ExecutorService pool = Executors.newFixedThreadPool(
                        options.concurrency(), Thread.ofVirtual().factory())) {
            for (int i = 0; i < refs.size() && !failures.any(); i += BATCH_SIZE) {
                List<BatchObject> reply;
                try {
                    reply = batchOnce(operation, refs.subList(i, Math.min(refs.size(), i + BATCH_SIZE)));
                } catch (IOException e) {
                    failures.add(e);
                    break;
                }
                for (BatchObject o : reply) {
                    try {
                        if (!admission.wanted(o)) {
                            task.advance(o.ref().size()); // nothing to move: it counts as done
                            task.itemDone();
                            continue;
                        }
                    } catch (IOException e) {
                        failures.add(e);
                        continue;
                    }
                    queued.acquireUninterruptibly();
                    pool.execute(() -> {
                        try {
                            work.run(o);
                            transferred.incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            failures.add(e);
                        } finally {
                            queued.release();
                        }
                    });
                }
            }
        }
        failures.throwFirst();
        return transferred.get();
    }

    /** The failures of transfers running at once, in the order they happened. */
    private static final class Failures {
        private final Queue<Exception> all = new ConcurrentLinkedQueue<>();

        void add(Exception e) {
            all.add(e);
        }

        boolean any() {
            return !all.isEmpty();
        }

        void throwFirst() throws IOException {
            IOException first = null;
            for (Exception e : all) {
                IOException io = e instanceof IOException x ? x : new IOException(String.valueOf(e), e);
                if (first == null) first = io;
                else first.addSuppressed(io);
            }
            if (first != null) throw first;
        }
    }
}
