package org.gittheta.format;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bytes a GGUF header is parsed from, front to back: either all given (a mapped file, a stored skeleton),
 * or pulled from a stream exactly as far as the parser asks, so that streaming never consumes a tensor byte.
 * Every length in a header comes from the file, so each is checked against what can still follow before use.
 */
final class GgufInput {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Stream reads grow the buffer by at most this much at a time, so a hostile length allocates only what arrives. */
    private static final int CHUNK = 1 << 20;

    private final String file;
    private final InputStream in;
    private final long cap;
    private MemorySegment bytes;
    private byte[] buffer;
    private long available;
    private long position;

    private GgufInput(String file, InputStream in, MemorySegment bytes, long cap) {
        this.file = file;
        this.in = in;
        this.bytes = bytes;
        this.available = bytes.byteSize();
        this.cap = cap;
    }

    /** Parses from bytes that are all there. */
    static GgufInput of(String file, MemorySegment all) {
        return new GgufInput(file, null, all, all.byteSize());
    }

    /** Parses from a stream, holding at most {@code cap} bytes (at most {@code Integer.MAX_VALUE - 8}). */
    static GgufInput reading(String file, InputStream in, int cap) {
        GgufInput input = new GgufInput(file, in, MemorySegment.NULL, cap);
        input.buffer = new byte[0];
        return input;
    }

    String file() {
        return file;
    }

    long position() {
        return position;
    }

    /** How many more bytes there can be: exact for given bytes, the cap for a stream. */
    long remainingAtMost() {
        return cap - position;
    }

    /** The bytes consumed so far; only for a stream, whose bytes are held. */
    byte[] consumed() {
        return Arrays.copyOf(buffer, (int) position);
    }

    int u32(String what) throws IOException {
        require(4, what);
        int v = bytes.get(U32, position);
        position += 4;
        return v;
    }

    long u64(String what) throws IOException {
        require(8, what);
        long v = bytes.get(U64, position);
        position += 8;
        return v;
    }

    /** Skips {@code n} bytes, read as unsigned (a "negative" length is just a very large one). */
    void skip(long n, String what) throws IOException {
        require(n, what);
        position += n;
    }

    /**
     * A u64-length-prefixed string that must be UTF-8, at most {@code maxBytes} long and free of control characters
     * (it names something in one-line messages and manifests): a key or a tensor name.
     */
    String string(String what, int maxBytes) throws IOException {
        long n = u64(what);
        if (n < 0 || n > maxBytes) {
            throw new BadCheckpointException(
                    file,
                    what + " is " + Long.toUnsignedString(n) + " bytes long, more than the " + maxBytes
                            + "-byte limit");
        }
        require(n, what);
        byte[] raw = bytes.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE);
        try {
            String s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw))
                    .toString();
            int control =
                    s.codePoints().filter(Character::isISOControl).findFirst().orElse(-1);
            if (control >= 0) {
                throw new BadCheckpointException(
                        file,
                        what + " at byte " + position + " contains the control character "
                                + String.format("U+%04X", control));
            }
            position += n;
            return s;
        } catch (CharacterCodingException e) {
            throw new BadCheckpointException(file, what + " at byte " + position + " is not valid UTF-8");
        }
    }

    private void require(long n, String what) throws IOException {
        if (n >= 0 && n <= available - position) return;
        if (in == null) {
            throw new BadCheckpointException(
                    file, "truncated: " + needs(n, what) + ", only " + (available - position) + " follow");
        }
        if (n < 0 || n > cap - position) {
            throw new BadCheckpointException(
                    file, needs(n, what) + ": the header would exceed the limit of " + cap + " bytes");
        }
        fill(position + n);
        if (available < position + n) {
            throw new BadCheckpointException(
                    file, "truncated: " + needs(n, what) + ", the file ends at byte " + available);
        }
    }

    private String needs(long n, String what) {
        return what + " at byte " + position + " needs " + Long.toUnsignedString(n) + " bytes";
    }

    /** Reads until {@code end} bytes are held or the stream ends. */
    private void fill(long end) throws IOException {
        while (available < end) {
            int chunk = (int) Math.min(end - available, CHUNK);
            if (buffer.length < available + chunk) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(cap, Math.max(available + chunk, 2L * buffer.length)));
                bytes = MemorySegment.ofArray(buffer);
            }
            int got = in.readNBytes(buffer, (int) available, chunk);
            available += got;
            if (got < chunk) return;
        }
    }
}
