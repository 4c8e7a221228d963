package org.gittheta.merge;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.update.ParamDecoder;

/** A parameter's raw values decoded into off-heap memory, so that a merge holds one parameter at a time, not whole checkpoints. */
final class Values {
    private Values() {}

    static MemorySegment decode(ParamDecoder decoder, ParamEntry entry, Arena arena) throws IOException {
        MemorySegment seg = arena.allocate(Math.max(1, entry.byteSize()), 8).asSlice(0, entry.byteSize());
        long[] pos = {0};
        decoder.decode(entry, new OutputStream() {
            @Override public void write(int b) { seg.set(ValueLayout.JAVA_BYTE, pos[0]++, (byte) b); }

            @Override public void write(byte[] b, int off, int len) {
                MemorySegment.copy(b, off, seg, ValueLayout.JAVA_BYTE, pos[0], len);
                pos[0] += len;
            }
        });
        return seg;
    }
}
