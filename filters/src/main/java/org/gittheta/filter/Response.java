package org.gittheta.filter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The handler's output for one request. Git learns the status before the content, so the first
 * bytes are held back: a handler that fails early is answered with a clean {@code status=error}
 * rather than a "success" that must be taken back. Output is also held until the request content
 * has been read to its end, because Git does not read replies while it is still writing the request.
 */
final class Response extends OutputStream {
    /** How much output is held before committing to {@code status=success}. */
    static final int HOLD_LIMIT = 64 * 1024;

    private final PktLineWriter writer;
    private final PacketInputStream request;
    private byte[] held = new byte[8192];
    private int heldCount;
    /** Null until {@code status=success} has been sent. */
    private OutputStream packets;

    Response(PktLineWriter writer, PacketInputStream request) {
        this.writer = writer;
        this.request = request;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (packets != null) {
            packets.write(b, off, len);
            return;
        }
        if (heldCount + len > held.length) {
            held = Arrays.copyOf(held, Math.max(heldCount + len, Math.min(2 * held.length, Integer.MAX_VALUE - 8)));
        }
        System.arraycopy(b, off, held, heldCount, len);
        heldCount += len;
        if (heldCount >= HOLD_LIMIT && request.finished()) commit();
    }

    /** Ignored: when output reaches Git is decided here, not by the handler. */
    @Override
    public void flush() {}

    /** Ignored: the response is ended by the server once the handler returns. */
    @Override
    public void close() {}

    /** Sends the remaining output, the end of content, and an empty list: "status unchanged". */
    void succeed() throws IOException {
        if (packets == null) commit();
        packets.close();
        writer.flush();
    }

    /** Sends {@code status=error}: alone, or after ending content already begun (Git then discards it). */
    void fail() throws IOException {
        if (packets != null) packets.close();
        held = null;
        writer.writeText("status=error");
        writer.flush();
    }

    private void commit() throws IOException {
        writer.writeText("status=success");
        writer.flush();
        packets = writer.contentStream();
        packets.write(held, 0, heldCount);
        held = null;
    }
}
