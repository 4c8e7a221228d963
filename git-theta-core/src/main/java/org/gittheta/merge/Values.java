package org.gittheta.merge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Ordered;
import org.gittheta.update.ParamDecoder;

/**
 * A parameter's raw values decoded outside the heap, so that a merge holds a few parameters at a time, not whole
 * checkpoints: in native memory when the merge's memory budget holds them, else (and for large Fisher values) in a
 * mapped temporary file (page cache, not direct memory). Native memory is the fast place: the first store into each
 * page of a new mapped file costs the file system a page fault and a dirty page, about ten times the cost of
 * anonymous memory (a 16 MiB result took 60–130 ms to fill mapped, under 15 ms in native memory), and unmapping
 * dirty pages costs again.
 */
final class Values {
    private Values() {}

    /** Values of at least this many bytes go to a mapped temporary file when not asked for in memory. */
    private static final long MAPPED = 1 << 20;

    static MemorySegment decode(ParamDecoder decoder, ParamEntry entry, Arena arena) throws IOException {
        MemorySegment seg = allocate(decoder, entry.byteSize(), false, arena);
        decoder.decode(entry, seg);
        return seg;
    }

    /**
     * The values of several versions of one parameter, each object their delta chains share decoded once (a base
     * and two fine-tunes stored as deltas against it: three decodes of the base's object become one).
     */
    static List<MemorySegment> decodeTogether(
            ParamDecoder decoder, List<ParamEntry> entries, boolean inMemory, Arena arena) throws IOException {
        List<MemorySegment> segments = new ArrayList<>();
        List<ParamEntry> stored = new ArrayList<>();
        List<MemorySegment> storedSegments = new ArrayList<>();
        for (ParamEntry e : entries) {
            MemorySegment seg = allocate(decoder, e.byteSize(), inMemory, arena);
            segments.add(seg);
            if (e.isInline()) {
                decoder.decode(e, seg);
            } else {
                stored.add(e);
                storedSegments.add(seg);
            }
        }
        long[] at = new long[stored.size()];
        decoder.decodeTogether(stored, Ordered.WINDOW, (version, chunk) -> {
            MemorySegment.copy(chunk, 0, storedSegments.get(version), ValueLayout.JAVA_BYTE, at[version], chunk.length);
            at[version] += chunk.length;
        });
        return segments;
    }

    /** Zero-filled writable memory for {@code bytes} bytes of values. */
    static MemorySegment allocate(ParamDecoder decoder, long bytes, boolean inMemory, Arena arena) throws IOException {
        if (!inMemory && bytes >= MAPPED) return decoder.scratch(bytes, arena);
        return arena.allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
    }
}
