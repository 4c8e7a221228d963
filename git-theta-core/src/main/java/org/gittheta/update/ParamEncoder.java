package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * Stores one parameter version: reuses the previous version's objects when the values are the same,
 * else stores the smallest exact form (or the one the options force) — dense, or a delta against the
 * previous version's object while the chain stays within {@link UpdateOptions#maxChainDepth()} — or, only
 * when the options ask for it, lossy low-rank factors ({@link LossyLowRank}).
 */
public final class ParamEncoder {
    /** Sparse wins while at most this fraction of elements differ (index + value ≈ 3 bytes vs a whole XOR stream). */
    static final int SPARSE_DIVISOR = 16;
    /** Chunks compressed to estimate a candidate's size; small tensors are tried whole. */
    static final int SAMPLE_CHUNKS = 3;
    /** Rows whose ia3 fit is checked before fitting the whole tensor. */
    private static final int IA3_SAMPLE_ROWS = 64;
    /** Fraction of sampled elements an ia3 fit must reproduce exactly to be tried. */
    private static final double IA3_MIN_MATCH = 0.5;

    private final ObjectStore store;
    private final Codec codec;
    private final UpdateOptions options;
    private final ParamDecoder decoder;
    private final ValueIndex values;

    public ParamEncoder(ObjectStore store, Codec codec, UpdateOptions options) {
        this.store = store;
        this.codec = codec;
        this.options = options;
        this.decoder = new ParamDecoder(store);
        this.values = new ValueIndex(store);
    }

    public UpdateOptions options() {
        return options;
    }

    /** Whether an entry this encoder made may hold other values than the file it was given: updated, or lossy. */
    public boolean changedValues(ParamEntry entry) {
        return options.updateData().map(d -> d.params().contains(entry.name())).orElse(false)
                || entry.attributes().containsKey(LossyLowRank.ATTRIBUTE);
    }

    /**
     * Values already stored, under this name or any other, in any file, are not stored again: the previous
     * version's entry, else the stored form the {@link ValueIndex} remembers (unless a kind is forced and that form
     * is another), else a new encoding.
     *
     * @param values   the parameter's raw bytes
     * @param previous the same parameter in the version this one replaces, if any
     */
    public ParamEntry encode(String name, DType dtype, Shape shape, MemorySegment values, Optional<ParamEntry> previous)
            throws IOException {
        Optional<GivenUpdate> given = options.updateData().isEmpty()
                ? Optional.empty()
                : options.updateData().get().update(name, dtype, shape);
        if (given.isPresent()) return encodeUpdated(name, dtype, shape, values, previous, given.get());
        return encodeValues(name, dtype, shape, values, previous, Optional.empty());
    }

    /**
     * The side-loaded update applied to the file's values, computed chunk by chunk into a mapped temporary file, is
     * the version stored (in the forced kind, against the previous version).
     */
    private ParamEntry encodeUpdated(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            Optional<ParamEntry> previous,
            GivenUpdate given)
            throws IOException {
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = values.byteSize();
            MemorySegment updated =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            forEachChunk(
                    size,
                    (at, len) -> given.apply(
                            values.asSlice(at, len),
                            updated.asSlice(at, len),
                            dtype,
                            at / dtype.byteWidth(),
                            len / dtype.byteWidth()));
            return encodeValues(name, dtype, shape, updated, previous, Optional.of(given));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void forEachChunk(long size, java.util.function.BiConsumer<Long, Long> chunk) {
        IntStream.range(0, (int) ((size + ObjectFormat.CHUNK_SIZE - 1) / ObjectFormat.CHUNK_SIZE))
                .parallel()
                .forEach(c -> {
                    long at = (long) c * ObjectFormat.CHUNK_SIZE;
                    chunk.accept(at, Math.min(ObjectFormat.CHUNK_SIZE, size - at));
                });
    }

    private ParamEntry encodeValues(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            Optional<ParamEntry> previous,
            Optional<GivenUpdate> given)
            throws IOException {
        ValuesDigest digest = ValuesDigest.of(values);
        if (previous.isPresent()) {
            ParamEntry p = previous.get();
            if (p.sha256().equals(digest.sha256())
                    && p.dtype() == dtype
                    && p.shape().equals(shape)) {
                this.values.record(p);
                return p;
            }
        }
        Optional<ParamEntry> known = this.values
                .find(digest.sha256(), dtype, shape)
                .filter(k -> options.forced().isEmpty()
                        || options.forced().get().label().equals(k.update()));
        if (known.isPresent()) {
            ParamEntry k = known.get();
            return new ParamEntry(name, dtype, shape, k.sha256(), k.update(), k.objects(), k.attributes());
        }
        ParamEntry stored = encodeNew(name, dtype, shape, values, digest, previous, given);
        this.values.record(stored);
        return stored;
    }

    private ParamEntry encodeNew(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            ValuesDigest digest,
            Optional<ParamEntry> previous,
            Optional<GivenUpdate> given)
            throws IOException {
        Optional<ParamEntry> base = previous.filter(p -> p.dtype() == dtype
                && p.shape().equals(shape)
                && p.objects().size() <= options.maxChainDepth()
                && p.objects().stream().allMatch(o -> store.contains(o.id())));
        if (base.isEmpty() || options.forced().equals(Optional.of(UpdateKind.DENSE))) {
            return store(name, dtype, shape, digest, new Dense.Encoder(values, dtype.byteWidth()), List.of(), Map.of());
        }
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment prev = decodeInto(base.get(), tmp, arena);
            if (options.lossyRank().isPresent()) {
                int rank = options.lossyRank().getAsInt();
                Optional<Reconstruction.LowRank> svd = LossyLowRank.fit(values, prev, dtype, shape, rank);
                if (svd.isPresent()) return storeLossy(name, dtype, shape, svd.get(), prev, base.get());
            }
            Encoding chosen =
                    choose(name, dtype, shape, values, prev, base.get().object().id(), given);
            return store(
                    name,
                    dtype,
                    shape,
                    digest,
                    chosen,
                    chosen.kind() == UpdateKind.DENSE ? List.of() : base.get().objects(),
                    Map.of());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private ParamEntry store(
            String name,
            DType dtype,
            Shape shape,
            ValuesDigest digest,
            Encoding e,
            List<ObjectRef> chain,
            Map<String, String> attributes)
            throws IOException {
        ObjectId id = ObjectFormat.write(store, e.header(dtype, shape), e.sections(), digest.crc32c(), codec);
        List<ObjectRef> objects = new ArrayList<>();
        objects.add(new ObjectRef(id, store.size(id)));
        objects.addAll(chain);
        return new ParamEntry(
                name, dtype, shape, digest.sha256(), e.kind().label(), objects, new TreeMap<>(attributes));
    }

    /**
     * Stores the factors alone. The version is what checkout will produce, W_prev + B·A rounded to the
     * dtype, so the manifest's sha256 (and the object's CRC) are those of that reconstruction, computed
     * here into a mapped temporary file, not of the values the user gave.
     */
    private ParamEntry storeLossy(
            String name, DType dtype, Shape shape, Reconstruction.LowRank svd, MemorySegment prev, ParamEntry base)
            throws IOException {
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = prev.byteSize();
            MemorySegment rebuilt = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            int w = dtype.byteWidth();
            forEachChunk(
                    size,
                    (at, len) -> svd.apply(prev.asSlice(at, len), rebuilt.asSlice(at, len), dtype, at / w, len / w));
            ValuesDigest digest = ValuesDigest.of(rebuilt);
            if (digest.sha256().equals(base.sha256())) return base;
            return store(
                    name,
                    dtype,
                    shape,
                    digest,
                    new Rebuilt.Encoder(svd, rebuilt, prev, dtype, base.object().id()),
                    base.objects(),
                    Map.of(LossyLowRank.ATTRIBUTE, LossyLowRank.attributeValue(svd.rank())));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The previous version's values, decoded into a mapped temporary file (never the heap): the candidates read it
     * at random (sparse positions, ia3 rows, sampled chunks), and it may be larger than memory.
     */
    private MemorySegment decodeInto(ParamEntry entry, Path tmp, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment prev = entry.byteSize() == 0
                    ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_WRITE, 0, entry.byteSize(), arena);
            decoder.decode(entry, prev);
            return prev;
        }
    }

    /**
     * The forced kind where it applies to this parameter, else the smallest exact candidate. Forced low-rank takes the
     * adapter's factors, else those of the side-loaded update, else rank-R truncated-SVD factors of the change (R
     * from the options or the update), always with the exact residual.
     */
    Encoding choose(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            MemorySegment prev,
            ObjectId base,
            Optional<GivenUpdate> given)
            throws IOException {
        int w = dtype.byteWidth();
        Optional<Reconstruction.LowRank> lora = Optional.empty();
        if (options.lora().isPresent() && Reconstruction.appliesTo(dtype))
            lora = options.lora().get().factors(name, shape);
        UpdateKind forced = options.forced().orElse(null);
        if (forced == UpdateKind.XOR_DELTA) return new XorDelta.Encoder(values, prev, w, base);
        if (forced == UpdateKind.SPARSE)
            return SparseDelta.find(values, prev, w, Long.MAX_VALUE, base).orElseThrow();
        if (forced == UpdateKind.LOW_RANK) {
            Optional<Reconstruction.LowRank> factors = lora.or(() -> given.flatMap(GivenUpdate::factors));
            OptionalInt rank = options.rank().isPresent()
                    ? options.rank()
                    : given.map(GivenUpdate::rank).orElse(OptionalInt.empty());
            if (factors.isEmpty() && rank.isPresent()) {
                factors = LossyLowRank.fit(values, prev, dtype, shape, rank.getAsInt())
                        .map(Reconstruction.LowRank::withResidual);
            }
            if (factors.isPresent()) return new Rebuilt.Encoder(factors.get(), values, prev, dtype, base);
        }
        if (forced == UpdateKind.IA3 && Reconstruction.appliesTo(dtype)) {
            return new Rebuilt.Encoder(bestIa3(values, prev, dtype, shape, 1).fit(), values, prev, dtype, base);
        }
        long units = values.byteSize() / w;
        Optional<Encoding> few = SparseDelta.find(values, prev, w, units / SPARSE_DIVISOR, base);
        if (few.isPresent()) return few.get();
        List<Encoding> candidates =
                new ArrayList<>(List.of(new Dense.Encoder(values, w), new XorDelta.Encoder(values, prev, w, base)));
        lora.ifPresent(f -> candidates.add(new Rebuilt.Encoder(f, values, prev, dtype, base)));
        if (Reconstruction.appliesTo(dtype)) {
            long rows = Reconstruction.matrix(shape)[0];
            Ia3Trial trial = bestIa3(values, prev, dtype, shape, Math.max(1, rows / IA3_SAMPLE_ROWS));
            if (trial.match() >= IA3_MIN_MATCH) {
                Reconstruction.Ia3 fit = bestIa3(values, prev, dtype, shape, 1).fit();
                candidates.add(new Rebuilt.Encoder(fit, values, prev, dtype, base));
            }
        }
        Encoding best = null;
        long bestSize = Long.MAX_VALUE;
        for (Encoding e : candidates) {
            long size = estimate(e);
            if (size < bestSize) {
                best = e;
                bestSize = size;
            }
        }
        return best;
    }

    /** An ia3 fit along the better axis and the fraction of the fitted rows it reproduces exactly. */
    private record Ia3Trial(Reconstruction.Ia3 fit, double match) {}

    private static Ia3Trial bestIa3(MemorySegment values, MemorySegment prev, DType t, Shape shape, long rowStep) {
        long[] m = Reconstruction.matrix(shape);
        Ia3Trial best = null;
        for (int axis = 0; axis < 2; axis++) {
            Reconstruction.Ia3 fit = Reconstruction.Ia3.fit(values, prev, t, m[0], m[1], axis, rowStep);
            Ia3Trial trial = new Ia3Trial(fit, matchRate(fit, values, prev, t, m[0], m[1], rowStep));
            if (best == null || trial.match() > best.match()) best = trial;
        }
        return best;
    }

    private static double matchRate(
            Reconstruction r, MemorySegment values, MemorySegment prev, DType t, long rows, long cols, long rowStep) {
        int w = t.byteWidth();
        long same = 0, total = 0;
        MemorySegment guess = MemorySegment.ofArray(new byte[Math.toIntExact(cols * w)]);
        for (long row = 0; row < rows; row += rowStep) {
            long at = row * cols * w;
            r.apply(prev.asSlice(at, cols * w), guess, t, row * cols, cols);
            for (long c = 0; c < cols; c++) {
                if (MemorySegment.mismatch(guess, c * w, (c + 1) * w, values, at + c * w, at + (c + 1) * w) < 0) same++;
            }
            total += cols;
        }
        return total == 0 ? 0 : (double) same / total;
    }

    /** Compressed size of a candidate, from a few evenly spaced chunks of its bulk section. */
    private long estimate(Encoding e) throws IOException {
        Section s = e.bulk();
        long chunks = (s.length() + ObjectFormat.CHUNK_SIZE - 1) / ObjectFormat.CHUNK_SIZE;
        if (chunks == 0) return e.fixedBytes();
        long sampled = Math.min(chunks, SAMPLE_CHUNKS);
        long rawBytes = 0, stored = 0;
        for (long i = 0; i < sampled; i++) {
            long offset = (i * chunks / sampled) * ObjectFormat.CHUNK_SIZE;
            int len = (int) Math.min(ObjectFormat.CHUNK_SIZE, s.length() - offset);
            byte[] raw = new byte[len];
            s.source().read(offset, raw, len);
            stored += codec.encode(raw, len, s.elementWidth()).length();
            rawBytes += len;
        }
        return (long) ((double) stored * s.length() / rawBytes) + e.fixedBytes();
    }
}
