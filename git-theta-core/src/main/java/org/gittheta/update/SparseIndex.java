package org.gittheta.update;

import java.io.ByteArrayOutputStream;

/**
 * The element positions a sparse delta changes, in one of two encodings, whichever is smaller:
 * gaps as LEB128 varints (gap = position − previous position − 1, the first against −1), or a bitmap
 * (bit i of byte i/8, least significant first). The decoder keeps the encoded bytes (at most one bit
 * per element) and a small table of where each value chunk starts, so chunks decode independently.
 */
final class SparseIndex {
    static final int VARINT = 0;
    static final int BITMAP = 1;

    private SparseIndex() {}

    /** Reads the varint at {@code at[0]} and advances it. */
    private static long varint(byte[] bytes, int[] at) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            if (at[0] >= bytes.length || shift > 63) throw new IllegalArgumentException("truncated varint at byte " + at[0]);
            byte b = bytes[at[0]++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) return v;
        }
    }

    /** Collects positions in increasing order while counting the varint size. */
    static final class Builder {
        private final ByteArrayOutputStream varints = new ByteArrayOutputStream();
        private long last = -1;
        private long count;

        void add(long position) {
            long gap = position - last - 1;
            last = position;
            count++;
            while ((gap & ~0x7fL) != 0) {
                varints.write((int) ((gap & 0x7f) | 0x80));
                gap >>>= 7;
            }
            varints.write((int) gap);
        }

        long count() { return count; }

        /** The smaller encoding: its code and bytes. */
        Encoded build(long units) {
            long bitmapBytes = (units + 7) / 8;
            if (varints.size() <= bitmapBytes) return new Encoded(VARINT, count, varints.toByteArray());
            byte[] bitmap = new byte[Math.toIntExact(bitmapBytes)];
            byte[] v = varints.toByteArray();
            long pos = -1;
            for (int[] at = {0}; at[0] < v.length; ) {
                pos += varint(v, at) + 1;
                bitmap[(int) (pos >>> 3)] |= (byte) (1 << (pos & 7));
            }
            return new Encoded(BITMAP, count, bitmap);
        }
    }

    record Encoded(int encoding, long count, byte[] bytes) {}

    /**
     * Positions of one encoded index, by value chunk of {@code unitsPerChunk} elements.
     */
    static final class Reader {
        private final int encoding;
        private final byte[] bytes;
        private final int unitsPerChunk;
        private final int[] chunkByte;      // varint: offset of the chunk's first gap
        private final long[] chunkPrevious; // varint: position before the chunk's first
        private final long[] chunkOrdinal;  // both: how many positions precede the chunk

        Reader(int encoding, long count, byte[] bytes, long units, int unitsPerChunk) {
            if (encoding != VARINT && encoding != BITMAP) throw new IllegalArgumentException("unknown index encoding " + encoding);
            if (encoding == BITMAP && bytes.length != (units + 7) / 8) throw new IllegalArgumentException("bitmap of " + bytes.length + " bytes for " + units + " elements");
            this.encoding = encoding;
            this.bytes = bytes;
            this.unitsPerChunk = unitsPerChunk;
            int chunks = (int) ((units + unitsPerChunk - 1) / unitsPerChunk);
            chunkByte = new int[chunks + 1];
            chunkPrevious = new long[chunks + 1];
            chunkOrdinal = new long[chunks + 1];
            if (encoding == VARINT) {
                long pos = -1;
                chunkPrevious[0] = pos;
                long ordinal = 0;
                int c = 0;
                int[] at = {0};
                while (at[0] < bytes.length) {
                    int start = at[0];
                    long next = pos + varint(bytes, at) + 1;
                    if (next >= units || next < 0) throw new IllegalArgumentException("position " + next + " past " + units + " elements");
                    while (c < chunks && next >= (long) (c + 1) * unitsPerChunk) {
                        c++;
                        chunkByte[c] = start;
                        chunkPrevious[c] = pos;
                        chunkOrdinal[c] = ordinal;
                    }
                    pos = next;
                    ordinal++;
                }
                for (c = c + 1; c <= chunks; c++) {
                    chunkByte[c] = bytes.length;
                    chunkPrevious[c] = pos;
                    chunkOrdinal[c] = ordinal;
                }
                if (ordinal != count) throw new IllegalArgumentException(ordinal + " positions, header says " + count);
            } else {
                long ordinal = 0;
                int bytesPerChunk = unitsPerChunk / 8;
                for (int c = 0; c < chunks; c++) {
                    chunkOrdinal[c] = ordinal;
                    int end = (int) Math.min(bytes.length, (long) (c + 1) * bytesPerChunk);
                    for (int b = c * bytesPerChunk; b < end; b++) ordinal += Integer.bitCount(bytes[b] & 0xff);
                }
                chunkOrdinal[chunks] = ordinal;
                if (ordinal != count) throw new IllegalArgumentException(ordinal + " positions, header says " + count);
            }
        }

        /** Positions before value chunk {@code c}: the index of its first value in the values section. */
        long ordinal(int c) { return chunkOrdinal[c]; }

        /** Positions in value chunk {@code c}, relative to the chunk's first element, in order. */
        int[] positions(int c) {
            int[] out = new int[(int) (chunkOrdinal[c + 1] - chunkOrdinal[c])];
            long first = (long) c * unitsPerChunk;
            if (encoding == VARINT) {
                long pos = chunkPrevious[c];
                int[] at = {chunkByte[c]};
                for (int n = 0; n < out.length; n++) {
                    pos += varint(bytes, at) + 1;
                    out[n] = (int) (pos - first);
                }
            } else {
                int n = 0;
                int bytesPerChunk = unitsPerChunk / 8;
                int end = (int) Math.min(bytes.length, (long) (c + 1) * bytesPerChunk);
                for (int b = c * bytesPerChunk; b < end; b++) {
                    for (int bits = bytes[b] & 0xff; bits != 0; bits &= bits - 1) {
                        out[n++] = (b - c * bytesPerChunk) * 8 + Integer.numberOfTrailingZeros(bits);
                    }
                }
            }
            return out;
        }

    }
}
