package org.gittheta.diff;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads a (mapped) segment as a stream, so that mapped and decoded values go through one code path. */
final class SegmentInputStream extends InputStream {
    private final MemorySegment segment;
    private long pos;

    SegmentInputStream(MemorySegment segment) {
        this.segment = segment;
    }

    @Override
    public int read() {
        return pos < segment.byteSize() ? segment.get(ValueLayout.JAVA_BYTE, pos++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) return 0;
        long left = segment.byteSize() - pos;
        if (left <= 0) return -1;
        int n = (int) Math.min(len, left);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, pos, b, off, n);
        pos += n;
        return n;
    }
}
