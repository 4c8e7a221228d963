package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * One object of a delta chain, opened for decoding chunk by chunk: chunk c of a version is computed from
 * chunk c of its base and chunk c of its own data, so memory stays a few chunks per chain link.
 */
sealed interface Layer permits Layer.Dense, Layer.Xor, Layer.Sparse, Layer.Rebuilt {
    /** Chains longer than this are corrupt or hostile: git-theta never writes them (theta.maxChainDepth). */
    int MAX_DEPTH = 255;

    ObjectFormat.Reader reader();

    /** The decoded values {@code [c * CHUNK_SIZE, ...)}. */
    byte[] chunk(int c) throws IOException;

    /** Opens an object and, following the bases its header names, the chain beneath it. */
    static Layer open(ObjectStore store, ObjectId id, Arena arena) throws IOException {
        return open(store, id, arena, 0);
    }

    private static Layer open(ObjectStore store, ObjectId id, Arena arena, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new CorruptObjectException(id, "delta chain deeper than " + MAX_DEPTH);
        ObjectFormat.Reader r = ObjectFormat.Reader.open(store, id, arena);
        UpdateKind kind;
        try {
            kind = UpdateKind.fromCode(r.header().kind());
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(id, e.getMessage());
        }
        long bytes = r.header().dtype().byteSize(r.header().shape().numel());
        Reconstruction guess = kind == UpdateKind.LOW_RANK || kind == UpdateKind.IA3 ? Reconstruction.read(kind, r) : null;
        boolean residual = guess == null ? kind != UpdateKind.SPARSE : guess.residual();
        if (residual && (r.sectionCount() == 0 || r.sectionLength(r.sectionCount() - 1) != bytes)) {
            throw new CorruptObjectException(id, "its values section does not hold " + bytes + " bytes");
        }
        if (kind == UpdateKind.DENSE) return new Dense(r);
        if (r.header().bases().size() != 1) throw new CorruptObjectException(id, kind.label() + " object names " + r.header().bases().size() + " bases, expected 1");
        Layer base = open(store, r.header().bases().getFirst(), arena, depth + 1);
        var bh = base.reader().header();
        if (bh.dtype() != r.header().dtype() || !bh.shape().equals(r.header().shape())) {
            throw new CorruptObjectException(id, "its base " + base.reader().id() + " has another dtype or shape");
        }
        return switch (kind) {
            case DENSE -> throw new AssertionError();
            case XOR_DELTA -> new Xor(r, base);
            case SPARSE -> Sparse.of(r, base);
            case LOW_RANK, IA3 -> new Rebuilt(r, base, guess, residual ? r.sectionCount() - 1 : NO_RESIDUAL);
        };
    }

    record Dense(ObjectFormat.Reader reader) implements Layer {
        @Override public byte[] chunk(int c) throws IOException { return reader.readChunk(0, c); }
    }

    record Xor(ObjectFormat.Reader reader, Layer base) implements Layer {
        @Override public byte[] chunk(int c) throws IOException {
            byte[] b = base.chunk(c);
            byte[] d = reader.readChunk(0, c);
            if (d.length != b.length) throw new CorruptObjectException(reader.id(), "chunk " + c + " does not match its base");
            Bytes.xor(b, MemorySegment.ofArray(d), 0, b.length);
            return b;
        }
    }

    record Sparse(ObjectFormat.Reader reader, Layer base, SparseIndex.Reader index, int width) implements Layer {
        static Sparse of(ObjectFormat.Reader r, Layer base) throws IOException {
            ByteBuffer p = ByteBuffer.wrap(r.header().params()).order(ByteOrder.LITTLE_ENDIAN);
            int width = r.header().dtype().byteWidth();
            long units = r.header().dtype().byteSize(r.header().shape().numel()) / width;
            try {
                int encoding = p.get();
                long count = p.getLong();
                if (r.sectionLength(1) != count * width) throw new IllegalArgumentException("values section does not hold " + count + " elements");
                return new Sparse(r, base, new SparseIndex.Reader(encoding, count, r.readSectionFully(0), units, ObjectFormat.CHUNK_SIZE / width), width);
            } catch (RuntimeException e) {
                throw new CorruptObjectException(r.id(), "sparse index: " + e.getMessage());
            }
        }

        @Override public byte[] chunk(int c) throws IOException {
            byte[] b = base.chunk(c);
            int[] positions = index.positions(c);
            if (positions.length == 0) return b;
            byte[] values = range(index.ordinal(c) * width, positions.length * width);
            for (int j = 0; j < positions.length; j++) {
                if ((long) (positions[j] + 1) * width > b.length) throw new CorruptObjectException(reader.id(), "position past the end of chunk " + c);
                System.arraycopy(values, j * width, b, positions[j] * width, width);
            }
            return b;
        }

        /** Bytes {@code [from, from + len)} of the values section, from the chunks that hold them. */
        private byte[] range(long from, int len) throws IOException {
            byte[] out = new byte[len];
            int done = 0;
            while (done < len) {
                long at = from + done;
                int c = (int) (at / ObjectFormat.CHUNK_SIZE);
                byte[] chunk = reader.readChunk(1, c);
                int off = (int) (at - (long) c * ObjectFormat.CHUNK_SIZE);
                int n = Math.min(len - done, chunk.length - off);
                System.arraycopy(chunk, off, out, done, n);
                done += n;
            }
            return out;
        }
    }

    /** {@link Rebuilt#residual()} of a lossy object: the guess is the stored version. */
    int NO_RESIDUAL = -1;

    record Rebuilt(ObjectFormat.Reader reader, Layer base, Reconstruction reconstruction, int residual) implements Layer {
        @Override public byte[] chunk(int c) throws IOException {
            byte[] b = base.chunk(c);
            byte[] out = new byte[b.length];
            var t = reader.header().dtype();
            int w = t.byteWidth();
            reconstruction.apply(MemorySegment.ofArray(b), MemorySegment.ofArray(out), t, (long) c * ObjectFormat.CHUNK_SIZE / w, b.length / w);
            if (residual == NO_RESIDUAL) return out;
            byte[] d = reader.readChunk(residual, c);
            if (d.length != out.length) throw new CorruptObjectException(reader.id(), "chunk " + c + " does not match its base");
            Bytes.xor(out, MemorySegment.ofArray(d), 0, out.length);
            return out;
        }
    }
}
