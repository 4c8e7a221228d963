package org.gittheta.filter;

import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
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

    private final ReadableByteChannel in;
    /**
     * Bytes read and not yet taken, between position and limit. Native memory, larger than one packet: headers and
     * payloads come from one read(2) straight into it (a file descriptor's channel reads into native memory without
     * the copy a read into an array costs), and payloads go from it to the reader's array or native memory.
     */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(2 * PktLine.MAX_PACKET);

    private final MemorySegment buffered = MemorySegment.ofBuffer(buffer).asReadOnly();
    private final byte[] header = new byte[PktLine.HEADER];

    public PktLineReader(InputStream in) {
        buffer.limit(0); // nothing read yet
        this.in = in instanceof FileInputStream file ? file.getChannel() : Channels.newChannel(in);
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
        return !fill();
    }

    PacketInputStream contentPackets() {
        return new PacketInputStream(this);
    }

    /** Copies up to {@code len} buffered bytes (reading more if none are) into {@code b}; -1 at the end. */
    int read(byte[] b, int off, int len) throws IOException {
        if (!fill()) return -1;
        int n = Math.min(len, buffer.remaining());
        buffer.get(b, off, n);
        return n;
    }

    /** Copies up to {@code dst}'s size of buffered bytes (reading more if none are) into it; -1 at the end. */
    int read(MemorySegment dst) throws IOException {
        if (!fill()) return -1;
        int n = (int) Math.min(dst.byteSize(), buffer.remaining());
        MemorySegment.copy(buffered, buffer.position(), dst, 0, n);
        buffer.position(buffer.position() + n);
        return n;
    }

    /** Skips exactly {@code n} bytes. */
    void skip(int n) throws IOException {
        for (int left = n; left > 0; ) {
            if (!fill()) throw new EOFException();
            int step = Math.min(left, buffer.remaining());
            buffer.position(buffer.position() + step);
            left -= step;
        }
    }

    /** Whether bytes are buffered, reading once if none are; false at the end of the stream. */
    private boolean fill() throws IOException {
        if (buffer.hasRemaining()) return true;
        buffer.clear();
        int n;
        do n = in.read(buffer);
        while (n == 0);
        buffer.flip();
        return n > 0;
    }

    /** The packet length including the header; {@link #FLUSH} for a flush packet. */
    int readHeader() throws IOException {
        int got = readFully(header, PktLine.HEADER);
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
        byte[] payload = new byte[size];
        int got = readFully(payload, size);
        if (got < size) throw truncated(size - got);
        return payload;
    }

    /** Reads {@code len} bytes into {@code b}, fewer only where the stream ends; returns how many. */
    private int readFully(byte[] b, int len) throws IOException {
        int got = 0;
        for (int n; got < len && (n = read(b, got, len - got)) > 0; ) got += n;
        return got;
    }

    static EOFException truncated(int missing) {
        return new EOFException("truncated pkt-line: stream ended " + missing + " bytes before the end of a packet");
    }

    /** Header bytes quoted in a message: whatever git (or something else) sent, shown safely. */
    private static String printable(byte[] bytes, int n) {
        return Printable.escape(Arrays.copyOf(bytes, n));
    }
}
