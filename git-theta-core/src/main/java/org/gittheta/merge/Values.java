package org.gittheta.merge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.update.ParamDecoder;

/**
 * A parameter's raw values decoded into off-heap memory, so that a merge holds one parameter at a time, not whole
 * checkpoints.
 */
final class Values {
    private Values() {}

    static MemorySegment decode(ParamDecoder decoder, ParamEntry entry, Arena arena) throws IOException {
        MemorySegment seg = arena.allocate(Math.max(1, entry.byteSize()), 8).asSlice(0, entry.byteSize());
        decoder.decode(entry, seg);
        return seg;
    }
}
