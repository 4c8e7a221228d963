package org.gittheta.convert;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A stream that reads straight into native memory. A streamed tensor goes from Git's pipe into the memory it is
 * encoded from in one copy, where an {@link InputStream} passed it through an array at every layer (three copies of
 * every byte of a 1 GiB add before this).
 */
public interface SegmentReads {
    /** Reads at least one byte into {@code dst} (at most its size), or returns -1 at the end of the stream. */
    int read(MemorySegment dst) throws IOException;

    /** Reads from {@code in} into {@code dst} as above, through {@code scratch} when it cannot read into memory. */
    static int read(InputStream in, MemorySegment dst, byte[] scratch) throws IOException {
        if (dst.byteSize() == 0) return 0;
        if (in instanceof SegmentReads direct) return direct.read(dst);
        int n = in.read(scratch, 0, (int) Math.min(scratch.length, dst.byteSize()));
        if (n > 0) MemorySegment.copy(scratch, 0, dst, ValueLayout.JAVA_BYTE, 0, n);
        return n;
    }
}
