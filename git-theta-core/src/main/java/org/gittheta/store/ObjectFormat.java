package org.gittheta.store;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The binary layout of a stored object, version 1, little-endian:
 * <pre>
 * magic "THETAOBJ" | u16 version | u8 kind | u8 dtype | u8 rank | u64 dims[rank]
 * | u8 nbases | 32-byte base ids | u16 nparams | params
 * | u8 nsections | per section: u64 length, u8 element width, u32 chunk size,
 *                  per chunk: u8 codec, u32 stored length, stored bytes
 * | u32 CRC32C of the decoded parameter values | u32 CRC32C of every byte before this one
 * </pre>
 */
public final class ObjectFormat {
    static final byte[] MAGIC = "THETAOBJ".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int CHUNK_SIZE = 1 << 20;
    /** u8 codec + u32 stored length. */
    private static final int CHUNK_HEADER = 5;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ObjectFormat() {}

    /** Encodes and stores an object; chunks are compressed in parallel. */
    public static ObjectId write(
            ObjectStore store, ObjectHeader header, List<Section> sections, int valuesCrc, Codec codec)
            throws IOException {
        if (sections.size() > 255) throw new IllegalArgumentException(sections.size() + " sections; at most 255");
        return store.write(raw -> {
            CRC32C crc = new CRC32C();
            OutputStream out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    raw.write(b);
                    crc.update(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    raw.write(b, off, len);
                    crc.update(b, off, len);
                }
            };
            out.write(headerBytes(header, sections.size()));
            for (Section s : sections) writeSection(out, s, codec);
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            tail.putInt(valuesCrc);
            out.write(tail.array(), 0, 4);
            tail.putInt((int) crc.getValue());
            raw.write(tail.array(), 4, 4);
        });
    }

    private static byte[] headerBytes(ObjectHeader h, int nsections) {
        byte[] params = h.params();
        ByteBuffer b = ByteBuffer.allocate(
                        8 + 2 + 3 + 8 * h.shape().rank() + 1 + 32 * h.bases().size() + 2 + params.length + 1)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC)
                .putShort((short) VERSION)
                .put((byte) h.kind())
                .put((byte) h.dtype().code())
                .put((byte) h.shape().rank());
        for (long d : h.shape().dims()) b.putLong(d);
        b.put((byte) h.bases().size());
        for (ObjectId base : h.bases()) b.put(base.bytes());
        b.putShort((short) params.length).put(params).put((byte) nsections);
        return b.array();
    }

    private static void writeSection(OutputStream out, Section s, Codec codec) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(s.length()).put((byte) s.elementWidth()).putInt(CHUNK_SIZE);
        out.write(head.array());
        int chunks = chunkCount(s.length());
        ByteBuffer chunkHead = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
        Ordered.run(
                chunks,
                i -> {
                    long offset = (long) i * CHUNK_SIZE;
                    int len = (int) Math.min(CHUNK_SIZE, s.length() - offset);
                    ChunkBuffers buffers = ChunkBuffers.take(Codec.ZSTD_LEVEL);
                    s.source().read(offset, buffers.raw, len);
                    return new Encoded(codec.encode(buffers.raw, len, s.elementWidth(), buffers), buffers);
                },
                encoded -> {
                    try (ChunkBuffers done = encoded.buffers()) {
                        Codec.Chunk chunk = encoded.chunk();
                        chunkHead.clear();
                        chunkHead.put((byte) chunk.codec().code()).putInt(chunk.length());
                        out.write(chunkHead.array());
                        out.write(chunk.data(), 0, chunk.length());
                    }
                });
    }

    /** A chunk encoded into pooled buffers, which go back to the pool once it is written. */
    private record Encoded(Codec.Chunk chunk, ChunkBuffers buffers) {}

    /** How many chunks of {@link #CHUNK_SIZE} bytes hold {@code length} bytes. */
    public static int chunkCount(long length) {
        return Math.toIntExact((length + CHUNK_SIZE - 1) / CHUNK_SIZE);
    }

    /** An object opened for reading: header parsed, checksum verified, chunks located. */
    public static final class Reader {
        private final ObjectId id;
        private final MemorySegment seg;
        private final ObjectHeader header;
        private final int valuesCrc;
        private final List<SectionLayout> sections;

        private record SectionLayout(long length, int width, long[] chunkStarts, int[] chunkLengths, byte[] codecs) {}

        /** Parses {@code seg} as object {@code id}; package-private so that tests can parse bytes without a store. */
        Reader(ObjectId id, MemorySegment seg) throws CorruptObjectException {
            this.id = id;
            this.seg = seg;
            try {
                long size = seg.byteSize();
                if (size < MAGIC.length + 2
                        || !Arrays.equals(seg.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
                    throw new CorruptObjectException(id, "not a git-theta object (no THETAOBJ magic)");
                }
                int version = Short.toUnsignedInt(seg.get(SHORT, 8));
                if (version != VERSION) {
                    throw new CorruptObjectException(
                            id,
                            "object format version " + version
                                    + " is not understood by this git-theta (it reads version " + VERSION
                                    + "); upgrade git-theta");
                }
                CRC32C crc = new CRC32C();
                crc.update(seg.asSlice(0, size - 4).asByteBuffer());
                if ((int) crc.getValue() != seg.get(INT, size - 4)) {
                    throw new CorruptObjectException(id, "checksum mismatch");
                }
                long p = 10;
                int kind = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p++));
                DType dtype = DType.fromCode(Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p++)));
                int rank = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p++));
                long[] dims = new long[rank];
                for (int i = 0; i < rank; i++, p += 8) dims[i] = seg.get(LONG, p);
                int nbases = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p++));
                List<ObjectId> bases = new ArrayList<>();
                for (int i = 0; i < nbases; i++, p += 32) {
                    bases.add(ObjectId.fromDigest(seg.asSlice(p, 32).toArray(ValueLayout.JAVA_BYTE)));
                }
                int nparams = Short.toUnsignedInt(seg.get(SHORT, p));
                p += 2;
                byte[] params = seg.asSlice(p, nparams).toArray(ValueLayout.JAVA_BYTE);
                p += nparams;
                this.header = new ObjectHeader(kind, dtype, Shape.of(dims), bases, params);
                int nsections = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p++));
                List<SectionLayout> layouts = new ArrayList<>();
                for (int s = 0; s < nsections; s++) {
                    long length = seg.get(LONG, p);
                    int width = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p + 8));
                    int chunkSize = seg.get(INT, p + 9);
                    p += 13;
                    if (length < 0 || chunkSize != CHUNK_SIZE)
                        throw new CorruptObjectException(id, "section " + s + " has a bad length or chunk size");
                    if (width == 0) throw new CorruptObjectException(id, "section " + s + " has element width 0");
                    // Every chunk takes at least its header: a length needing more chunks than the bytes left could
                    // hold is corrupt, and must not size the arrays below.
                    long chunksNeeded = length / CHUNK_SIZE + (length % CHUNK_SIZE == 0 ? 0 : 1);
                    if (chunksNeeded > (size - 8 - p) / CHUNK_HEADER) {
                        throw new CorruptObjectException(
                                id,
                                "section " + s + " of " + length + " bytes needs " + chunksNeeded
                                        + " chunks, more than the rest of the object can hold");
                    }
                    int n = (int) chunksNeeded;
                    long[] starts = new long[n];
                    int[] lens = new int[n];
                    byte[] codecs = new byte[n];
                    for (int c = 0; c < n; c++) {
                        codecs[c] = seg.get(ValueLayout.JAVA_BYTE, p);
                        lens[c] = seg.get(INT, p + 1);
                        starts[c] = p + 5;
                        p = starts[c] + lens[c];
                        if (lens[c] < 0 || p > size - 8)
                            throw new CorruptObjectException(id, "section " + s + " runs past the end");
                    }
                    layouts.add(new SectionLayout(length, width, starts, lens, codecs));
                }
                if (p != size - 8)
                    throw new CorruptObjectException(id, (size - 8 - p) + " unexpected bytes after the last section");
                this.sections = List.copyOf(layouts);
                this.valuesCrc = seg.get(INT, size - 8);
            } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
                throw new CorruptObjectException(id, "unreadable header: " + e.getMessage());
            }
        }

        /** Maps and checks an object; it stays readable while {@code arena} is open. */
        public static Reader open(ObjectStore store, ObjectId id, Arena arena) throws IOException {
            return new Reader(id, store.map(id, arena));
        }

        public ObjectId id() {
            return id;
        }

        public ObjectHeader header() {
            return header;
        }

        public int valuesCrc() {
            return valuesCrc;
        }

        public int sectionCount() {
            return sections.size();
        }

        public long sectionLength(int i) {
            return sections.get(i).length();
        }

        /** Receives a section's bytes in order, one chunk at a time; the array is the sink's to keep. */
        @FunctionalInterface
        public interface ChunkSink {
            void accept(byte[] data, int len) throws IOException;
        }

        /** Decodes a section, chunks in parallel, delivered in order. */
        public void readSection(int i, ChunkSink sink) throws IOException {
            Ordered.run(chunks(i), c -> readChunk(i, c), out -> sink.accept(out, out.length));
        }

        public int chunks(int section) {
            return sections.get(section).chunkStarts().length;
        }

        /** How many bytes chunk {@code c} of a section decodes to. */
        public int chunkLength(int section, int c) {
            return (int) Math.min(CHUNK_SIZE, sections.get(section).length() - (long) c * CHUNK_SIZE);
        }

        /**
         * Decodes chunk {@code c} of a section: bytes {@code [c * CHUNK_SIZE, ...)}. Lets a delta decoder
         * combine chunk c of its base with chunk c of its own data without holding either whole.
         */
        public byte[] readChunk(int i, int c) throws CorruptObjectException {
            byte[] out = new byte[chunkLength(i, c)];
            readChunk(i, c, out);
            return out;
        }

        /** Decodes chunk {@code c} of a section into {@code out[0..chunkLength(i, c))}, read in place from the map. */
        public void readChunk(int i, int c, byte[] out) throws CorruptObjectException {
            decodeChunk(i, c, out, false);
        }

        /** XORs the decoded chunk {@code c} of a section into {@code out[0..chunkLength(i, c))}: an XOR delta. */
        public void xorChunk(int i, int c, byte[] out) throws CorruptObjectException {
            decodeChunk(i, c, out, true);
        }

        /**
         * XORs the decoded chunk {@code c} of section 0 of each of {@code readers} into {@code out}, as
         * {@link #xorChunk} on each would, unshuffling once for all: XOR deltas stacked on one base. The shuffle is
         * the same permutation of every chunk of the same length and element width, so their shuffled bytes are
         * XORed together first. A chunk stored raw (unshuffled) or of another width is applied on its own.
         */
        public static void xorChunks(List<Reader> readers, int c, byte[] out) throws CorruptObjectException {
            List<Reader> shuffled = new ArrayList<>(readers.size());
            int width = -1;
            for (Reader r : readers) {
                SectionLayout s = r.sections.get(0);
                boolean joins = s.codecs()[c] != Codec.RAW.code()
                        && (width < 0 || s.width() == width)
                        && r.chunkLength(0, c) == readers.getFirst().chunkLength(0, c);
                if (joins) {
                    shuffled.add(r);
                    width = s.width();
                } else {
                    r.xorChunk(0, c, out);
                }
            }
            if (shuffled.size() < 2) {
                for (Reader r : shuffled) r.xorChunk(0, c, out);
                return;
            }
            int rawLen = shuffled.getFirst().chunkLength(0, c);
            try (DecodeScratch sum = DecodeScratch.take();
                    DecodeScratch one = DecodeScratch.take()) {
                byte[] acc = sum.buffer(rawLen);
                for (int k = 0; k < shuffled.size(); k++) {
                    byte[] into = k == 0 ? acc : one.buffer(rawLen);
                    shuffled.get(k).decompressChunk(c, into, rawLen, one);
                    if (k > 0) Shuffle.xor(into, 0, acc, 0, rawLen);
                }
                Shuffle.unshuffle(acc, rawLen, width, out, true);
            }
        }

        private void decompressChunk(int c, byte[] shuffled, int rawLen, DecodeScratch scratch)
                throws CorruptObjectException {
            SectionLayout s = sections.get(0);
            ByteBuffer stored =
                    seg.asSlice(s.chunkStarts()[c], s.chunkLengths()[c]).asByteBuffer();
            try {
                Codec.fromCode(s.codecs()[c]).decompress(stored, shuffled, rawLen, scratch);
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException(id, "section 0 chunk " + c + ": " + e.getMessage());
            }
        }

        private void decodeChunk(int i, int c, byte[] out, boolean xor) throws CorruptObjectException {
            SectionLayout s = sections.get(i);
            int rawLen = chunkLength(i, c);
            ByteBuffer stored =
                    seg.asSlice(s.chunkStarts()[c], s.chunkLengths()[c]).asByteBuffer();
            try (DecodeScratch scratch = DecodeScratch.take()) {
                Codec.fromCode(s.codecs()[c]).decode(stored, out, rawLen, s.width(), scratch, xor);
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException(id, "section " + i + " chunk " + c + ": " + e.getMessage());
            }
        }

        /** A whole small section in memory (indices, factors). */
        public byte[] readSectionFully(int i) throws IOException {
            long length = sections.get(i).length();
            if (length > Integer.MAX_VALUE - 8)
                throw new IOException("section " + i + " of object " + id + " is too large to hold in memory");
            byte[] all = new byte[(int) length];
            int[] pos = {0};
            readSection(i, (data, len) -> {
                System.arraycopy(data, 0, all, pos[0], len);
                pos[0] += len;
            });
            return all;
        }
    }
}
