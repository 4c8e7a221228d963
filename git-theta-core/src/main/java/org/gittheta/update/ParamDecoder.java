package org.gittheta.update;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;

/**
 * Rebuilds a parameter's exact raw bytes from the store, checking them against the object's checksum.
 * Delta chains are resolved from the objects' own headers and decoded chunk by chunk, chunks in parallel.
 * Inline values come from the manifest line itself (its reader checked them against the line's sha256).
 */
public final class ParamDecoder {
    private final ObjectStore store;

    public ParamDecoder(ObjectStore store) {
        this.store = store;
    }

    /** The values, decoded as they are read; the caller closes the reader. */
    @SuppressWarnings("MustBeClosedChecker") // the arena belongs to the returned object, which closes it
    public ValuesReader open(ParamEntry entry) throws IOException {
        if (entry.inline().isPresent()) return ValuesReader.of(entry.inline().get());
        Arena arena = Arena.ofShared();
        try {
            return ValuesReader.open(
                    entry, arena, Layer.open(store, entry.object().id(), arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Receives the values of several versions decoded together, chunk by chunk. */
    @FunctionalInterface
    public interface VersionsSink {
        /** The next chunk of {@code versions.get(version)}'s values (the callee's to keep). */
        void accept(int version, byte[] chunk);
    }

    /**
     * Rebuilds several versions of parameters at once, each object that their delta chains share decoded once (fsck
     * checks every version; decoding each alone decodes a shared base once per version above it). Chunk c of every
     * version is one task, up to {@code ahead} tasks decoding at once: a merge's one large parameter keeps every core
     * busy with {@link Ordered#WINDOW}, where fsck, which decodes many parameters in parallel, asks for 1. Chunks go
     * to {@code sink} on the calling thread, in order for each version; every version is checked as {@link #open}
     * checks it.
     */
    public void decodeTogether(List<ParamEntry> versions, int ahead, VersionsSink sink) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Map<ObjectId, Layer.Shared> opened = new HashMap<>();
            List<Layer> tops = new ArrayList<>();
            for (ParamEntry v : versions) {
                Layer top = Layer.openShared(store, v.object().id(), arena, opened);
                ValuesReader.checkShape(v, top);
                tops.add(top);
            }
            int n = versions.size();
            long[] delivered = new long[n];
            CRC32C[] crcs = new CRC32C[n];
            int chunks = 0;
            for (int i = 0; i < n; i++) {
                crcs[i] = new CRC32C();
                chunks = Math.max(chunks, tops.get(i).chunks());
            }
            try (Ordered.Results<byte[][]> results = Ordered.results(chunks, ahead, c -> {
                byte[][] chunk = new byte[n][];
                for (int i = 0; i < n; i++) {
                    if (c >= tops.get(i).chunks()) continue;
                    chunk[i] = new byte[tops.get(i).length(c)];
                    tops.get(i).chunk(c, chunk[i]);
                }
                return chunk;
            })) {
                while (results.hasNext()) {
                    byte[][] chunk = results.next();
                    for (int i = 0; i < n; i++) {
                        if (chunk[i] == null) continue;
                        crcs[i].update(chunk[i], 0, chunk[i].length);
                        delivered[i] += chunk[i].length;
                        sink.accept(i, chunk[i]);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                ValuesReader.checkDecoded(versions.get(i), tops.get(i).reader(), delivered[i], crcs[i]);
            }
        }
    }

    /** Writes the values to {@code out}; the checksum is checked after the last byte. */
    public void decode(ParamEntry entry, OutputStream out) throws IOException {
        try (ValuesReader values = open(entry)) {
            for (byte[] chunk = values.nextChunk(); chunk != null; chunk = values.nextChunk()) out.write(chunk);
        }
    }

    /**
     * Writable, zero-filled memory of {@code bytes} bytes backed by a temporary file of the store that is deleted at
     * once: large values then live in the page cache (which the kernel can write out) rather than in the heap or in
     * direct memory; the mapping lasts as long as {@code arena}.
     */
    public MemorySegment scratch(long bytes, Arena arena) throws IOException {
        Path tmp = store.newTempFile();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Decodes the values into {@code dst}, which holds exactly {@link ParamEntry#byteSize()} bytes. */
    public void decode(ParamEntry entry, MemorySegment dst) throws IOException {
        try (ValuesReader values = open(entry)) {
            long at = 0;
            for (byte[] chunk = values.nextChunk(); chunk != null; chunk = values.nextChunk()) {
                MemorySegment.copy(chunk, 0, dst, ValueLayout.JAVA_BYTE, at, chunk.length);
                at += chunk.length;
            }
        }
    }
}
