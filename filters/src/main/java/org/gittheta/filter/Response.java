package org.gittheta.filter;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The handler's output for one request. Git learns the status before the content, so the first
 * bytes are held back: a handler that fails early is answered with a clean {@code status=error}
 * rather than a "success" that must be taken back. Output is also held until the request content
 * has been read to its end, because Git does not read replies while it is still writing the
 * request (both pipes would fill up); beyond {@link #HOLD_LIMIT} it waits in a temporary file so
 * that memory does not grow with file size.
 */
final class Response extends BlockOutputStream {
    /** How much output is held in memory before committing to {@code status=success}. */
    static final int HOLD_LIMIT = 64 * 1024;

    private final PktLineWriter writer;
    private final PacketInputStream request;
    private final byte[] held = new byte[HOLD_LIMIT];
    private int heldCount;
    /** Output that followed {@link #held} while the request was still unread; null if none. */
    private Path spillPath;

    private OutputStream spill;
    /** Null until {@code status=success} has been sent. */
    private OutputStream packets;

    Response(PktLineWriter writer, PacketInputStream request) {
        this.writer = writer;
        this.request = request;
    }

    @Override
    void writeBlock(byte[] b, int off, int len) throws IOException {
        boolean overflows = spill != null || heldCount + len > HOLD_LIMIT;
        if (packets == null && overflows && request.finished()) commit();
        if (packets != null) {
            packets.write(b, off, len);
        } else if (!overflows) {
            System.arraycopy(b, off, held, heldCount, len);
            heldCount += len;
        } else {
            if (spill == null) {
                spillPath = Files.createTempFile("git-theta-filter-", ".out");
                spill = new BufferedOutputStream(Files.newOutputStream(spillPath), HOLD_LIMIT);
            }
            spill.write(b, off, len);
        }
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
        writer.writeText("status=error");
        writer.flush();
    }

    /** Deletes the temporary file, whatever became of the request. */
    void release() throws IOException {
        if (spill == null) return;
        try {
            spill.close();
        } finally {
            Files.deleteIfExists(spillPath);
            spill = null;
        }
    }

    private void commit() throws IOException {
        writer.writeText("status=success");
        writer.flush();
        packets = writer.contentStream();
        packets.write(held, 0, heldCount);
        if (spill != null) {
            spill.close();
            Files.copy(spillPath, packets);
            release();
        }
    }
}
