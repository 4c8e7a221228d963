package org.gittheta.filter;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.gittheta.text.Printable;

/**
 * Reads Git's pkt-line framing: four hex digits giving the packet length (the four included),
 * then the payload, at most {@value PktLine#MAX_PAYLOAD} bytes; {@code 0000} is a flush packet.
 * Not thread-safe; one content section must be read (or drained) before the next text line.
 */
public final class PktLineReader {
    private static final int FLUSH = 0;

    private final InputStream in;
    private final byte[] header = new byte[PktLine.HEADER];

    public PktLineReader(InputStream in) {
        // A buffer larger than one packet lets headers and payloads come from one read(2).
        this.in = new BufferedInputStream(in, 2 * PktLine.MAX_PACKET);
    }

    /** One text packet without its trailing newline, or {@code null} at a flush packet. */
    public String readText() throws IOException {
        int length = readHeader();
        if (length == FLUSH) return null;
        byte[] payload = readPayload(length - PktLine.HEADER);
        int n = payload.length;
        if (n > 0 && payload[n - 1] == '\n') n--;
        return new String(payload, 0, n, StandardCharsets.UTF_8);
    }

    /** Text packets (Git sends {@code key=value} lines) up to the next flush packet. */
    public List<String> readTextList() throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line = readText(); line != null; line = readText()) lines.add(line);
        return lines;
    }

    /** The data packets of one content section, as a stream that ends at the flush packet. */
    public InputStream contentStream() {
        return contentPackets();
    }

    /** True if the stream ends here, between packets: how Git says it has no more requests. */
    public boolean atEnd() throws IOException {
        in.mark(1);
        int b = in.read();
        in.reset();
        return b < 0;
    }

    PacketInputStream contentPackets() {
        return new PacketInputStream(this);
    }

    InputStream raw() {
        return in;
    }

    /** The packet length including the header; {@link #FLUSH} for a flush packet. */
    int readHeader() throws IOException {
        int got = in.readNBytes(header, 0, PktLine.HEADER);
        if (got < PktLine.HEADER) {
            throw new EOFException(
                    got == 0
                            ? "pkt-line stream ended where a packet was expected"
                            : "pkt-line stream ended inside a packet header ('" + printable(header, got) + "')");
        }
        int length = 0;
        for (byte b : header) {
            int digit = Character.digit(b, 16);
            if (digit < 0)
                throw new IOException("invalid pkt-line length header '" + printable(header, PktLine.HEADER) + "'");
            length = (length << 4) | digit;
        }
        // 0001..0003 are delimiter/response-end markers of protocol v2, which the filter protocol never uses.
        if (length != FLUSH && (length < PktLine.HEADER || length > PktLine.MAX_PACKET)) {
            throw new IOException("invalid pkt-line length " + length + " (header '" + printable(header, PktLine.HEADER)
                    + "'): must be 0 or " + PktLine.HEADER + ".." + PktLine.MAX_PACKET);
        }
        return length;
    }

    private byte[] readPayload(int size) throws IOException {
        byte[] payload = in.readNBytes(size);
        if (payload.length < size) throw truncated(size - payload.length);
        return payload;
    }

    static EOFException truncated(int missing) {
        return new EOFException("truncated pkt-line: stream ended " + missing + " bytes before the end of a packet");
    }

    /** Header bytes quoted in a message: whatever git (or something else) sent, shown safely. */
    private static String printable(byte[] bytes, int n) {
        return Printable.escape(Arrays.copyOf(bytes, n));
    }
}
