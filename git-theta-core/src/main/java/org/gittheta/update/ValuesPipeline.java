package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.CRC32C;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;

/**
 * The values of a list of parameters (a checkpoint's, in file order), decoded as one stream of chunks: chunks of the
 * next parameters decode on the other cores while the current one is written, across parameter boundaries, with
 * {@link Ordered#WINDOW} chunks in flight and their buffers reused, so memory stays a few MiB whatever the sizes.
 * Each parameter's objects are opened (mapped, checksummed) by the first of its chunks to be decoded, on a worker;
 * inline values are one chunk as they are.
 *
 * <p>Every parameter is checked when its last chunk is taken: the decoded values against the object's CRC32C and
 * against the SHA-256 the manifest names (a manifest edited by hand or by a bad merge, whose hash is not its objects'
 * values, fails here rather than yielding other bytes). A failure names the parameter. The SHA-256, a second of a core
 * per GiB, is skipped where the {@link ValueIndex} vouches that these objects hold those values (they were hashed when
 * this store encoded them, or when a checkout checked them); a checked parameter is recorded there.
 */
public final class ValuesPipeline implements AutoCloseable {
    /** Bytes {@code [offset, offset + length)} of the values of {@code params.get(param)}, in {@code data}. */
    public record Chunk(int param, long offset, byte[] data, int length) {
        /** Whether these are the parameter's last bytes (a parameter without values has one empty chunk). */
        boolean last(ParamEntry entry) {
            return offset + length == entry.byteSize();
        }
    }

    private record Opened(Arena arena, Layer layer) {}

    private final ObjectStore store;
    private final List<ParamEntry> params;
    private final int[] paramOf;
    private final int[] chunkOf;
    private final List<CompletableFuture<Opened>> opened;
    private final ConcurrentLinkedQueue<byte[]> buffers = new ConcurrentLinkedQueue<>();
    private final Ordered.Results<Chunk> results;
    private final CRC32C crc = new CRC32C();
    private final MessageDigest sha = ObjectStore.sha256();
    private final ValueIndex index;
    /** Whether the current parameter's values are hashed: the index does not vouch for its objects. */
    private boolean hashing;

    private int closedUpTo;

    private ValuesPipeline(ObjectStore store, List<ParamEntry> params) {
        this.store = store;
        this.params = List.copyOf(params);
        this.index = new ValueIndex(store);
        int total = 0;
        for (ParamEntry p : this.params) total += chunkCount(p);
        paramOf = new int[total];
        chunkOf = new int[total];
        for (int p = 0, t = 0; p < this.params.size(); p++) {
            for (int c = 0; c < chunkCount(this.params.get(p)); c++, t++) {
                paramOf[t] = p;
                chunkOf[t] = c;
            }
        }
        opened = new ArrayList<>(this.params.size());
        for (int p = 0; p < this.params.size(); p++) opened.add(new CompletableFuture<>());
        results = Ordered.results(total, this::decode);
    }

    /** Starts decoding; close it (also after a failure) to stop the workers and unmap the objects. */
    public static ValuesPipeline open(ObjectStore store, List<ParamEntry> params) {
        return new ValuesPipeline(store, params);
    }

    /** The parameters, in the order their chunks come. */
    public List<ParamEntry> params() {
        return params;
    }

    /**
     * The next chunk, in order, or null after the last; a parameter's checks run as its last chunk is taken. Hand the
     * chunk back with {@link #recycle} once written.
     */
    public Chunk next() throws IOException {
        if (!results.hasNext()) return null;
        Chunk chunk = results.next();
        ParamEntry entry = params.get(chunk.param());
        if (chunk.offset() == 0) {
            crc.reset();
            sha.reset();
            hashing = entry.inline().isPresent() || !index.holds(entry);
        }
        crc.update(chunk.data(), 0, chunk.length());
        if (hashing) sha.update(chunk.data(), 0, chunk.length());
        if (chunk.last(entry)) verify(chunk.param(), entry);
        return chunk;
    }

    /** Gives a chunk's buffer back for reuse. */
    public void recycle(Chunk chunk) {
        if (chunk.data().length == ObjectFormat.CHUNK_SIZE) buffers.offer(chunk.data());
    }

    private static int chunkCount(ParamEntry p) {
        return Math.max(1, ObjectFormat.chunkCount(p.byteSize()));
    }

    private Chunk decode(int task) throws IOException {
        int p = paramOf[task], c = chunkOf[task];
        ParamEntry entry = params.get(p);
        if (entry.inline().isPresent()) {
            byte[] values = entry.inline().get().bytes();
            return new Chunk(p, 0, values, values.length);
        }
        try {
            Layer layer = layer(p, c == 0);
            int length = entry.byteSize() == 0 ? 0 : layer.length(c);
            byte[] data = length == ObjectFormat.CHUNK_SIZE ? buffer() : new byte[length];
            if (length > 0) layer.chunk(c, data);
            return new Chunk(p, (long) c * ObjectFormat.CHUNK_SIZE, data, length);
        } catch (IOException e) {
            throw named(entry, e);
        }
    }

    private byte[] buffer() {
        byte[] b = buffers.poll();
        return b != null ? b : new byte[ObjectFormat.CHUNK_SIZE];
    }

    /** The parameter's chain of objects, opened by the task of its first chunk; the others wait for it. */
    @SuppressWarnings("MustBeClosedChecker") // the arena is closed by closeUpTo or close
    private Layer layer(int p, boolean first) throws IOException {
        CompletableFuture<Opened> f = opened.get(p);
        if (first) {
            ParamEntry entry = params.get(p);
            Arena arena = Arena.ofShared();
            try {
                Layer layer = Layer.open(store, entry.object().id(), arena);
                ValuesReader.checkShape(entry, layer);
                f.complete(new Opened(arena, layer));
            } catch (IOException | RuntimeException e) {
                arena.close();
                f.completeExceptionally(e);
            }
        }
        return Ordered.await(f).layer();
    }

    private void verify(int p, ParamEntry entry) throws IOException {
        Opened o = entry.inline().isPresent() ? null : Ordered.await(opened.get(p));
        if (o != null && (int) crc.getValue() != o.layer().reader().valuesCrc()) {
            throw named(
                    entry,
                    new CorruptObjectException(
                            o.layer().reader().id(), "the decoded values do not match the object's checksum"));
        }
        if (hashing) {
            String hash = HexFormat.of().formatHex(sha.digest());
            if (!hash.equals(entry.sha256())) {
                throw new IOException("parameter '" + entry.name() + "': its objects decode to values of sha256 " + hash
                        + ", not the manifest's " + entry.sha256());
            }
            if (o != null && ValueIndex.worthIndexing(entry.byteSize())) vouchFor(entry);
        }
        closeUpTo(p + 1);
    }

    /** Records the checked parameter, so that the next checkout of it need not hash its values. */
    private void vouchFor(ParamEntry entry) {
        try {
            index.record(entry);
        } catch (IOException e) {
            // a cache (a store this user may not write, a full disk): the next checkout hashes the values again
        }
    }

    /** Unmaps the objects of parameters before {@code p}: all their chunks were taken. */
    private void closeUpTo(int p) {
        for (; closedUpTo < p; closedUpTo++) {
            CompletableFuture<Opened> f = opened.get(closedUpTo);
            if (f.isDone() && !f.isCompletedExceptionally()) f.join().arena().close();
        }
    }

    private static IOException named(ParamEntry entry, IOException e) {
        return new IOException("parameter '" + entry.name() + "': " + e.getMessage(), e);
    }

    @Override
    public void close() {
        results.close();
        closeUpTo(params.size());
    }
}
