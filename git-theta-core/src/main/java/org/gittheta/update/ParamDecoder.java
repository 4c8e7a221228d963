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
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectStore;

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

    /** Writes the values to {@code out}; the checksum is checked after the last byte. */
    public void decode(ParamEntry entry, OutputStream out) throws IOException {
        if (entry.inline().isPresent()) {
            entry.inline().get().writeTo(out);
            return;
        }
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
