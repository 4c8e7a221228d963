package org.gittheta.merge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.MemoryPool;
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

    /** Values decoded into mapped memory (Fisher values read from the store). */
    static MemorySegment decode(ParamDecoder decoder, ParamEntry entry, Arena arena) throws IOException {
        long bytes = entry.byteSize();
        MemorySegment seg = bytes >= MAPPED
                ? decoder.scratch(bytes, arena)
                : arena.allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
        decoder.decode(entry, seg);
        return seg;
    }

    /**
     * Where one parameter's values go while it is merged: native memory from the merge's pool when they fit its
     * budget, else mapped temporary files that last as long as {@code arena}; and an arena of its own for inputs
     * mapped from elsewhere (Fisher values). Closing it gives the memory back.
     */
    static final class Space implements AutoCloseable {
        private final ParamDecoder decoder;
        private final MemoryPool pool;
        private final boolean inMemory;
        private final Arena arena;
        private final Arena inputs = Arena.ofShared();
        private final List<MemoryPool.Lease> leases = new ArrayList<>();

        Space(ParamDecoder decoder, MemoryPool pool, boolean inMemory, Arena arena) {
            this.decoder = decoder;
            this.pool = pool;
            this.inMemory = inMemory;
            this.arena = arena;
        }

        /** Writable memory for {@code bytes} bytes of values, zero-filled when {@code zeroed}. */
        MemorySegment allocate(long bytes, boolean zeroed) throws IOException {
            if (!inMemory && bytes >= MAPPED) return decoder.scratch(bytes, arena);
            MemoryPool.Lease lease = pool.take(bytes, zeroed);
            leases.add(lease);
            return lease.segment();
        }

        /** Where inputs mapped from outside the store's values (Fisher values) are mapped. */
        Arena inputs() {
            return inputs;
        }

        /** Gives back, before the space closes, the pool's memory other than {@code kept}, and unmaps the inputs. */
        void giveBackAllBut(List<MemorySegment> kept) {
            for (MemoryPool.Lease lease : leases) {
                if (!kept.contains(lease.segment())) lease.close(); // equal: the same address and size
            }
            if (inputs.scope().isAlive()) inputs.close();
        }

        @Override
        public void close() {
            leases.forEach(MemoryPool.Lease::close);
            if (inputs.scope().isAlive()) inputs.close();
        }
    }

    /**
     * The values of several versions of one parameter, each object their delta chains share decoded once (a base
     * and two fine-tunes stored as deltas against it: three decodes of the base's object become one).
     */
    static List<MemorySegment> decodeTogether(ParamDecoder decoder, List<ParamEntry> entries, Space space)
            throws IOException {
        List<MemorySegment> segments = new ArrayList<>();
        List<ParamEntry> stored = new ArrayList<>();
        List<MemorySegment> storedSegments = new ArrayList<>();
        for (ParamEntry e : entries) {
            MemorySegment seg = space.allocate(e.byteSize(), false); // every byte is decoded over it
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
}
