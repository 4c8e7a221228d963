package org.gittheta.filter;

/** Sizes of Git's pkt-line framing (gitprotocol-common), shared by the reader and the writer. */
final class PktLine {
    /** Four hex digits give the packet length, and the length counts them too. */
    static final int HEADER = 4;
    /** Git's LARGE_PACKET_MAX: the longest packet, header included. */
    static final int MAX_PACKET = 65520;

    static final int MAX_PAYLOAD = MAX_PACKET - HEADER;

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private PktLine() {}

    /** Writes the header for a packet of {@code length} bytes (header included) at {@code at}. */
    static void putHeader(byte[] into, int at, int length) {
        into[at] = HEX[(length >>> 12) & 0xf];
        into[at + 1] = HEX[(length >>> 8) & 0xf];
        into[at + 2] = HEX[(length >>> 4) & 0xf];
        into[at + 3] = HEX[length & 0xf];
    }
}
