package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * One object of a delta chain, opened for decoding chunk by chunk: chunk c of a version is computed from chunk c
 * of its base and chunk c of its own data, so memory stays a few chunks per chain link. Each kind's decoder lives
 * in one class with its encoder ({@link Dense}, {@link XorDelta}, {@link SparseDelta}, {@link Rebuilt}).
 */
sealed interface Layer permits Dense.Decoder, XorDelta.Decoder, SparseDelta.Decoder, Rebuilt.Decoder {
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
        var h = reader().header();
        long bytes = h.dtype().byteSize(h.shape().numel());
        return (int) Math.min(ObjectFormat.CHUNK_SIZE, bytes - (long) c * ObjectFormat.CHUNK_SIZE);
    }

    /** How many chunks the values take. */
    default int chunks() {
        var h = reader().header();
        long bytes = h.dtype().byteSize(h.shape().numel());
        return Math.toIntExact((bytes + ObjectFormat.CHUNK_SIZE - 1) / ObjectFormat.CHUNK_SIZE);
    }

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
        Layer base = open(store, r.header().bases().getFirst(), arena, depth + 1);
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
}
