package org.gittheta.update;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The sparse layout: one base; params u8 index encoding, u64 count; sections: the index (width 1), then the new
 * values of the elements that differ, in order (element width). The index holds the positions in one of two
 * encodings, whichever is smaller: gaps as LEB128 varints (gap = position − previous position − 1, the first
 * against −1), or a bitmap (bit i of byte i/8, least significant first). The decoder keeps the encoded index (at
 * most one bit per element) and a small table of where each value chunk starts, so chunks decode independently.
 */
final class SparseDelta {
    static final int VARINT = 0;
    static final int BITMAP = 1;
    private static final int PARAMS_BYTES = 9;

    private SparseDelta() {}

    /** The elements that differ bytewise, as a sparse delta; empty once more than {@code limit} differ. */
    static Optional<Encoding> find(MemorySegment values, MemorySegment prev, int w, long limit, ObjectId base) {
        long size = values.byteSize();
        IndexBuilder index = new IndexBuilder();
        ByteArrayOutputStream changed = new ByteArrayOutputStream();
        long pos = 0;
        while (pos < size) {
            long m = MemorySegment.mismatch(values, pos, size, prev, pos, size);
            if (m < 0) break;
            long unit = (pos + m) / w;
            if (index.count() == limit) return Optional.empty();
            index.add(unit);
            changed.writeBytes(values.asSlice(unit * w, w).toArray(ValueLayout.JAVA_BYTE));
            pos = (unit + 1) * w;
        }
        return Optional.of(new Encoder(index.build(size / w), changed.toByteArray(), w, base));
    }

    record Encoder(Index index, byte[] values, int width, ObjectId base) implements Encoding {
        @Override
        public UpdateKind kind() {
            return UpdateKind.SPARSE;
        }

        @Override
        public ObjectHeader header(DType dtype, Shape shape) {
            byte[] params = ByteBuffer.allocate(PARAMS_BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) index.encoding())
                    .putLong(index.count())
                    .array();
            return new ObjectHeader(kind().code(), dtype, shape, List.of(base), params);
        }

        @Override
        public List<Section> sections() {
            return List.of(Encoding.whole(index.bytes(), 1), bulk());
        }

        @Override
        public Section bulk() {
            return Encoding.whole(values, width);
        }

        @Override
        public long fixedBytes() {
            return index.bytes().length;
        }
    }

    /** An encoded index: its encoding, how many positions, its bytes. */
    record Index(int encoding, long count, byte[] bytes) {}

    /** Reads the varint at {@code at[0]} and advances it. */
    private static long varint(byte[] bytes, int[] at) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            if (at[0] >= bytes.length || shift > 63) {
                throw new IllegalArgumentException("truncated varint at byte " + at[0]);
            }
            byte b = bytes[at[0]++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) return v;
        }
    }

    /** Collects positions in increasing order while counting the varint size. */
    private static final class IndexBuilder {
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

        long count() {
            return count;
        }

        /** The smaller encoding. */
        Index build(long units) {
            long bitmapBytes = (units + 7) / 8;
            if (varints.size() <= bitmapBytes) return new Index(VARINT, count, varints.toByteArray());
            byte[] bitmap = new byte[Math.toIntExact(bitmapBytes)];
            byte[] v = varints.toByteArray();
            long pos = -1;
            for (int[] at = {0}; at[0] < v.length; ) {
                pos += varint(v, at) + 1;
                bitmap[(int) (pos >>> 3)] |= (byte) (1 << (pos & 7));
            }
            return new Index(BITMAP, count, bitmap);
        }
    }

    /**
     * Chunk c is chunk c of the base with the chunk's positions overwritten. The values of consecutive chunks
     * usually share one chunk of the values section: the last one decoded is kept.
     */
    static final class Decoder implements Layer {
        private final ObjectFormat.Reader reader;
        private final Layer base;
        private final IndexReader index;
        private final int width;
        private volatile ValuesChunk lastValues;

        private record ValuesChunk(int index, byte[] data) {}

        private Decoder(ObjectFormat.Reader reader, Layer base, IndexReader index, int width) {
            this.reader = reader;
            this.base = base;
            this.index = index;
            this.width = width;
        }

        static Decoder of(ObjectFormat.Reader r, Layer base) throws IOException {
            ByteBuffer p = ByteBuffer.wrap(r.header().params()).order(ByteOrder.LITTLE_ENDIAN);
            int width = r.header().dtype().byteWidth();
            long units = r.header().dtype().byteSize(r.header().shape().numel()) / width;
            try {
                int encoding = p.get();
                long count = p.getLong();
                if (r.sectionLength(1) != count * width) {
                    throw new IllegalArgumentException("values section does not hold " + count + " elements");
                }
                var index =
                        new IndexReader(encoding, count, r.readSectionFully(0), units, ObjectFormat.CHUNK_SIZE / width);
                return new Decoder(r, base, index, width);
            } catch (RuntimeException e) {
                throw new CorruptObjectException(r.id(), "sparse index: " + e.getMessage());
            }
        }

        @Override
        public ObjectFormat.Reader reader() {
            return reader;
        }

        @Override
        public void chunk(int c, byte[] out) throws IOException {
            base.chunk(c, out);
            int[] positions = index.positions(c);
            if (positions.length == 0) return;
            byte[] values = range(index.ordinal(c) * width, positions.length * width);
            int len = length(c);
            for (int j = 0; j < positions.length; j++) {
                if ((long) (positions[j] + 1) * width > len) {
                    throw new CorruptObjectException(reader.id(), "position past the end of chunk " + c);
                }
                System.arraycopy(values, j * width, out, positions[j] * width, width);
            }
        }

        /** Bytes {@code [from, from + len)} of the values section, from the chunks that hold them. */
        private byte[] range(long from, int len) throws IOException {
            byte[] out = new byte[len];
            int done = 0;
            while (done < len) {
                long at = from + done;
                int c = (int) (at / ObjectFormat.CHUNK_SIZE);
                byte[] chunk = valuesChunk(c);
                int off = (int) (at - (long) c * ObjectFormat.CHUNK_SIZE);
                int n = Math.min(len - done, chunk.length - off);
                System.arraycopy(chunk, off, out, done, n);
                done += n;
            }
            return out;
        }

        private byte[] valuesChunk(int c) throws IOException {
            ValuesChunk last = lastValues;
            if (last == null || last.index() != c) {
                last = new ValuesChunk(c, reader.readChunk(1, c));
                lastValues = last;
            }
            return last.data();
        }
    }

    /** Positions of one encoded index, by value chunk of {@code unitsPerChunk} elements. */
    static final class IndexReader {
        private final int encoding;
        private final byte[] bytes;
        private final int unitsPerChunk;
        private final int[] chunkByte; // varint: offset of the chunk's first gap
        private final long[] chunkPrevious; // varint: position before the chunk's first
        private final long[] chunkOrdinal; // both: how many positions precede the chunk

        IndexReader(int encoding, long count, byte[] bytes, long units, int unitsPerChunk) {
            if (encoding != VARINT && encoding != BITMAP) {
                throw new IllegalArgumentException("unknown index encoding " + encoding);
            }
            if (encoding == BITMAP && bytes.length != (units + 7) / 8) {
                throw new IllegalArgumentException("bitmap of " + bytes.length + " bytes for " + units + " elements");
            }
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
                    if (next >= units || next < 0) {
                        throw new IllegalArgumentException("position " + next + " past " + units + " elements");
                    }
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
        long ordinal(int c) {
            return chunkOrdinal[c];
        }

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
