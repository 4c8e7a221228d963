package org.gittheta.filter;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import org.gittheta.convert.SegmentReads;

/**
 * The payloads of consecutive data packets, ending at a flush packet. Reads go straight from the
 * buffered transport into the caller's array or native memory, a packet's worth at a time at most.
 */
final class PacketInputStream extends InputStream implements SegmentReads {
    private final PktLineReader reader;
    private final byte[] one = new byte[1];
    /** Payload bytes of the current packet not yet read. */
    private int remaining;

    private boolean finished;
    /** Once framing broke, the position in the stream is unknown: every later read must fail too. */
    private IOException failure;

    PacketInputStream(PktLineReader reader) {
        this.reader = reader;
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (!nextPayload()) return -1;
        return taken(reader.read(b, off, Math.min(len, remaining)));
    }

    @Override
    public int read(MemorySegment dst) throws IOException {
        if (dst.byteSize() == 0) return 0;
        if (!nextPayload()) return -1;
        return taken(reader.read(dst.asSlice(0, Math.min(dst.byteSize(), remaining))));
    }

    private int taken(int n) throws IOException {
        if (n < 0) throw fail(PktLineReader.truncated(remaining));
        remaining -= n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && nextPayload()) {
            int step = (int) Math.min(n - skipped, remaining);
            skipPayload(step);
            skipped += step;
        }
        return skipped;
    }

    /** None that could be read without blocking is promised: git's pipe is read only when asked. */
    @Override
    public int available() {
        return 0;
    }

    /** True once the flush packet ending this content has been read. */
    boolean finished() {
        return finished;
    }

    /** Reads and discards the rest of the content so that the next request starts in step. */
    void drain() throws IOException {
        while (nextPayload()) skipPayload(remaining);
    }

    /** Does nothing: the transport belongs to the reader, and unread content is drained by its owner. */
    @Override
    public void close() {}

    /** Moves to a packet with unread payload; false at the flush packet. */
    private boolean nextPayload() throws IOException {
        if (failure != null) throw failure;
        while (remaining == 0) {
            if (finished) return false;
            try {
                int length = reader.readHeader();
                if (length == 0) finished = true;
                else remaining = length - PktLine.HEADER;
            } catch (IOException e) {
                throw fail(e);
            }
        }
        return true;
    }

    private void skipPayload(int n) throws IOException {
        try {
            reader.skip(n);
        } catch (EOFException e) {
            throw fail(PktLineReader.truncated(remaining));
        }
        remaining -= n;
    }

    private IOException fail(IOException e) {
        failure = e;
        return e;
    }
}
