package org.gittheta.filter;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes Git's pkt-line framing. Output is buffered until a flush packet: {@link #flush()} also
 * flushes the transport, because a flush packet is where Git may stop and wait for the other side.
 */
public final class PktLineWriter {
    private final OutputStream out;

    public PktLineWriter(OutputStream out) {
        // Small enough that a full data packet bypasses it, large enough to gather a response's text lines.
        this.out = new BufferedOutputStream(out, 8192);
    }

    /** Writes {@code line} plus a newline as one packet. */
    public void writeText(String line) throws IOException {
        byte[] text = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (text.length > PktLine.MAX_PAYLOAD) {
            throw new IllegalArgumentException(
                    "pkt-line text of " + text.length + " bytes exceeds " + PktLine.MAX_PAYLOAD);
        }
        byte[] header = new byte[PktLine.HEADER];
        PktLine.putHeader(header, 0, PktLine.HEADER + text.length);
        out.write(header);
        out.write(text);
    }

    /** Writes a flush packet ({@code 0000}) and pushes everything written so far to the transport. */
    public void flush() throws IOException {
        out.write(FLUSH_PACKET);
        out.flush();
    }

    /**
     * A stream that frames what is written into data packets of at most {@value PktLine#MAX_PAYLOAD}
     * bytes; {@code close()} ends the content with a flush packet but leaves the transport open.
     */
    public OutputStream contentStream() {
        return new PacketOutputStream();
    }

    private static final byte[] FLUSH_PACKET = {'0', '0', '0', '0'};

    /** Whole packets gathered before one write to the transport: 16 of them, about 1 MiB per system call. */
    static final int PACKETS_PER_WRITE = 16;

    private final class PacketOutputStream extends BlockOutputStream {
        /** Consecutive whole packets, each header first, that leave together in a single write. */
        private final byte[] packets = new byte[PACKETS_PER_WRITE * PktLine.MAX_PACKET];

        /** Where the packet being filled starts, and the end of what it holds so far. */
        private int start;

        private int count = PktLine.HEADER;
        private boolean closed;

        @Override
        void writeBlock(byte[] b, int off, int len) throws IOException {
            ensureOpen();
            while (len > 0) {
                int n = Math.min(len, start + PktLine.MAX_PACKET - count);
                System.arraycopy(b, off, packets, count, n);
                count += n;
                off += n;
                len -= n;
                if (count == start + PktLine.MAX_PACKET) endPacket();
            }
        }

        /** Sends the partial packet, so that a slow producer's output reaches Git. */
        @Override
        public void flush() throws IOException {
            ensureOpen();
            emit();
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) return;
            emit();
            closed = true;
            PktLineWriter.this.flush();
        }

        /** Frames the packet being filled and starts the next one, writing them all out when the buffer is full. */
        private void endPacket() throws IOException {
            PktLine.putHeader(packets, start, count - start);
            start = count;
            count = start + PktLine.HEADER;
            if (start == packets.length) emit();
        }

        /** Writes the packets gathered, the partial one included. */
        private void emit() throws IOException {
            if (count > start + PktLine.HEADER) endPacket();
            if (start > 0) out.write(packets, 0, start);
            start = 0;
            count = PktLine.HEADER;
        }

        private void ensureOpen() throws IOException {
            if (closed) throw new IOException("pkt-line content stream is closed");
        }
    }
}
