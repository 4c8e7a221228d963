package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * One object of a delta chain, opened for decoding chunk by chunk: chunk c of a version is computed from chunk c
 * of its base and chunk c of its own data, so memory stays a few chunks per chain link. Each kind's decoder lives
 * in one class with its encoder ({@link Dense}, {@link XorDelta}, {@link SparseDelta}, {@link Rebuilt}).
 */
sealed interface Layer permits Dense.Decoder, XorDelta.Decoder, SparseDelta.Decoder, Rebuilt.Decoder, Layer.Shared {
    /** Chains longer than this are corrupt or hostile: git-theta never writes them (theta.maxChainDepth). */
    int MAX_DEPTH = 255;

    ObjectFormat.Reader reader();

    /**
     * Decodes the values {@code [c * CHUNK_SIZE, ...)} into {@code out[0..length(c))}: the caller owns the buffer, so
     * that a pipeline can reuse it (a new array per chunk made the heap grow with the checkpoint).
     */
    void chunk(int c, byte[] out) throws IOException;

    /** How many bytes chunk {@code c} of the values holds. */
    default int length(int c) {
        return (int) Math.min(ObjectFormat.CHUNK_SIZE, valueBytes() - (long) c * ObjectFormat.CHUNK_SIZE);
    }

    /** How many chunks the values take. */
    default int chunks() {
        return ObjectFormat.chunkCount(valueBytes());
    }

    private long valueBytes() {
        var h = reader().header();
        return h.dtype().byteSize(h.shape().numel());
    }

    /** Opens an object and, following the bases its header names, the chain beneath it. */
    static Layer open(ObjectStore store, ObjectId id, Arena arena) throws IOException {
        return open(store, id, arena, 0, null);
    }

    /**
     * Opens an object's chain for decoding together with other chains opened into {@code opened}: an object they
     * share is opened once, as a {@link Shared} layer, so that each of its chunks is decoded once for all of them.
     */
    static Layer openShared(ObjectStore store, ObjectId id, Arena arena, Map<ObjectId, Shared> opened)
            throws IOException {
        return open(store, id, arena, 0, opened);
    }

    private static Layer open(ObjectStore store, ObjectId id, Arena arena, int depth, Map<ObjectId, Shared> opened)
            throws IOException {
        if (depth > MAX_DEPTH) throw new CorruptObjectException(id, "delta chain deeper than " + MAX_DEPTH);
        if (opened == null) return decoder(store, id, arena, depth, null);
        Shared known = opened.get(id);
        if (known != null) {
            known.users++;
            return known;
        }
        Shared layer = new Shared(decoder(store, id, arena, depth, opened));
        opened.put(id, layer);
        return layer;
    }

    private static Layer decoder(ObjectStore store, ObjectId id, Arena arena, int depth, Map<ObjectId, Shared> opened)
            throws IOException {
        ObjectFormat.Reader r = ObjectFormat.Reader.open(store, id, arena);
        UpdateKind kind;
        try {
            kind = UpdateKind.fromCode(r.header().kind());
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException(id, e.getMessage());
        }
        long bytes = r.header().dtype().byteSize(r.header().shape().numel());
        Reconstruction guess =
                kind == UpdateKind.LOW_RANK || kind == UpdateKind.IA3 ? Reconstruction.read(kind, r) : null;
        boolean residual = guess == null ? kind != UpdateKind.SPARSE : guess.residual();
        if (residual && (r.sectionCount() == 0 || r.sectionLength(r.sectionCount() - 1) != bytes)) {
            throw new CorruptObjectException(id, "its values section does not hold " + bytes + " bytes");
        }
        if (kind == UpdateKind.DENSE) return new Dense.Decoder(r);
        if (r.header().bases().size() != 1)
            throw new CorruptObjectException(
                    id, kind.label() + " object names " + r.header().bases().size() + " bases, expected 1");
        Layer base = open(store, r.header().bases().getFirst(), arena, depth + 1, opened);
        var bh = base.reader().header();
        if (bh.dtype() != r.header().dtype() || !bh.shape().equals(r.header().shape())) {
            throw new CorruptObjectException(id, "its base " + base.reader().id() + " has another dtype or shape");
        }
        return switch (kind) {
            case DENSE -> throw new AssertionError();
            case XOR_DELTA -> new XorDelta.Decoder(r, base);
            case SPARSE -> SparseDelta.Decoder.of(r, base);
            case LOW_RANK, IA3 ->
                new Rebuilt.Decoder(r, base, guess, residual ? r.sectionCount() - 1 : Rebuilt.NO_RESIDUAL);
        };
    }

    /**
     * A layer that several chains share. Chunk c of each chain is decoded in one task, the chains one after another,
     * a few tasks in parallel: the first chain to ask for chunk c decodes it and keeps a copy until every other chain
     * has had it (decoders build on their base's chunk in place, so each gets its own).
     */
    final class Shared implements Layer {
        private final Layer layer;
        /** Chains that share this layer, counted as they are opened. */
        private int users = 1;
        /** Chunks decoded, by index, with how many chains have yet to take each. */
        private final Map<Integer, Kept> kept = new HashMap<>();

        private static final class Kept {
            final byte[] values;
            int left;

            Kept(byte[] values, int left) {
                this.values = values;
                this.left = left;
            }
        }

        Shared(Layer layer) {
            this.layer = layer;
        }

        @Override
        public ObjectFormat.Reader reader() {
            return layer.reader();
        }

        @Override
        public void chunk(int c, byte[] out) throws IOException {
            Kept k;
            synchronized (kept) {
                k = kept.get(c);
            }
            if (k == null) {
                layer.chunk(c, out);
                if (users > 1) {
                    Kept copy = new Kept(Arrays.copyOf(out, length(c)), users - 1);
                    synchronized (kept) {
                        kept.put(c, copy);
                    }
                }
                return;
            }
            System.arraycopy(k.values, 0, out, 0, k.values.length);
            synchronized (kept) {
                if (--k.left == 0) kept.remove(c);
            }
        }
    }
}
