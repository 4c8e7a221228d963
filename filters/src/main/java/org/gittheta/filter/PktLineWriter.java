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

    private final class PacketOutputStream extends OutputStream {
        /** One whole packet, header first, so that each packet leaves in a single write. */
        private final byte[] packet = new byte[PktLine.MAX_PACKET];

        private int count = PktLine.HEADER;
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            ensureOpen();
            packet[count++] = (byte) b;
            if (count == packet.length) emit();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            ensureOpen();
            while (len > 0) {
                int n = Math.min(len, packet.length - count);
                System.arraycopy(b, off, packet, count, n);
                count += n;
                off += n;
                len -= n;
                if (count == packet.length) emit();
            }
        }

        /** Sends the partial packet, so that a slow producer's output reaches Git. */
        @Override
        public void flush() throws IOException {
            ensureOpen();
            if (count > PktLine.HEADER) emit();
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) return;
            if (count > PktLine.HEADER) emit();
            closed = true;
            PktLineWriter.this.flush();
        }

        private void emit() throws IOException {
            PktLine.putHeader(packet, 0, count);
            out.write(packet, 0, count);
            count = PktLine.HEADER;
        }

        private void ensureOpen() throws IOException {
            if (closed) throw new IOException("pkt-line content stream is closed");
        }
    }
}
