package org.gittheta.merge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.update.ParamDecoder;

/**
 * A parameter's raw values decoded outside the heap, so that a merge holds a few parameters at a time, not whole
 * checkpoints: small ones in native memory, larger ones in a mapped temporary file (page cache, not direct memory,
 * so that the merge runs within a small heap and direct-memory limit whatever the parameters' sizes).
 */
final class Values {
    private Values() {}

    /** Values of at least this many bytes go to a mapped temporary file. */
    private static final long MAPPED = 1 << 20;

    static MemorySegment decode(ParamDecoder decoder, ParamEntry entry, Arena arena) throws IOException {
        MemorySegment seg = allocate(decoder, entry.byteSize(), arena);
        decoder.decode(entry, seg);
        return seg;
    }

    /** Zero-filled writable memory for {@code bytes} bytes of values. */
    static MemorySegment allocate(ParamDecoder decoder, long bytes, Arena arena) throws IOException {
        if (bytes >= MAPPED) return decoder.scratch(bytes, arena);
        return arena.allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
    }
}
