package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
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
import java.util.concurrent.Semaphore;
import java.util.stream.IntStream;
import org.gittheta.manifest.InlineValues;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.MappedWrites;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * Stores one parameter version: reuses the previous version's objects when the values are the same,
 * else stores the smallest exact form (or the one the options force) — dense, or a delta against the
 * previous version's object while the chain stays within {@link UpdateOptions#maxChainDepth()} and, in auto, within
 * the parameter's raw bytes (else a new keyframe) — or, only
 * when the options ask for it, lossy low-rank factors ({@link LossyLowRank}).
 */
public final class ParamEncoder {
    /** Sparse wins while at most this fraction of elements differ (index + value ≈ 3 bytes vs a whole XOR stream). */
    static final int SPARSE_DIVISOR = 16;
    /** Rows whose ia3 fit is checked before fitting the whole tensor. */
    private static final int IA3_SAMPLE_ROWS = 64;
    /** At most this many elements are read by the ia3 trial (wide matrices sample fewer rows). */
    private static final long IA3_SAMPLE_ELEMENTS = 1 << 17;
    /** Fraction of the sampled elements, and of the changed ones among them, an ia3 fit must reproduce to be tried. */
    private static final double IA3_MIN_MATCH = 0.5;
    /**
     * Values of at most this many bytes live in the manifest line ({@code update=inline}): an object of their own
     * would cost a file (a 4 KiB block and ~0.3 ms to create and rename), an fsync, a transfer request, and a file to
     * open on checkout, for a few bytes whose base64 is about as long as the object id that would name them.
     */
    public static final int INLINE_MAX_BYTES = 256;

    /**
     * Bytes of decoded bases held in memory at once (the budget's unit is {@link #KIB}): as much as the clean holds
     * of the new values (its {@code BYTES_IN_FLIGHT}), so that each tensor being encoded has its base in memory, and
     * the filter's resident memory stays bounded (docs/performance.md, issue 14).
     */
    private static final int BASES_IN_MEMORY = 48 << 20;

    private static final int KIB = 1024;

    private final ObjectStore store;
    private final Codec codec;
    private final UpdateOptions options;
    private final ParamDecoder decoder;
    private final ValueIndex values;
    private final Semaphore baseMemory = new Semaphore(BASES_IN_MEMORY / KIB);

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
        return encode(name, dtype, shape, values, previous, Optional.empty());
    }

    /**
     * The same, given the previous version's values when the caller has them decoded already (a merge has ours's):
     * a delta against them is then tried without decoding them again.
     */
    public ParamEntry encode(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            Optional<ParamEntry> previous,
            Optional<MemorySegment> previousValues)
            throws IOException {
        Optional<GivenUpdate> given = options.updateData().isEmpty()
                ? Optional.empty()
                : options.updateData().get().update(name, dtype, shape);
        Known prev = new Known(previous, previousValues.filter(v -> previous.isPresent()));
        if (given.isPresent()) return encodeUpdated(name, dtype, shape, values, prev, given.get());
        return encodeValues(name, dtype, shape, values, prev, Optional.empty());
    }

    /** A version a new one may be stored against, with its values decoded. */
    public record Candidate(ParamEntry entry, MemorySegment values) {}

    /**
     * Which of the candidates (the previous version first) to store {@code values} against: the one they differ from
     * in the fewest elements, sampled, since a delta's size follows how many elements changed; the first on a tie,
     * and the first when the options force a kind or bring low-rank factors or update data, which are relative to the
     * previous version. A candidate no delta may be stored against (another type or shape, a chain too long or too
     * large) is not taken. A merge offers ours, the base and the other models: a TIES merge, which keeps a fraction
     * of each model's change, is far nearer the base than either model.
     */
    public Candidate nearest(String name, DType dtype, Shape shape, MemorySegment values, List<Candidate> candidates)
            throws IOException {
        Candidate nearest = candidates.getFirst();
        if (candidates.size() == 1
                || options.forced().isPresent()
                || options.lossyRank().isPresent()
                || options.lora().isPresent()
                || options.updateData().isPresent()) {
            return nearest;
        }
        double fewest = Double.MAX_VALUE;
        for (Candidate c : candidates) {
            ParamEntry p = c.entry();
            if (!canBeBase(p, dtype, shape) || needsKeyframe(name, shape, values.byteSize(), p)) continue;
            double changed = Sampling.changedFraction(values, c.values(), dtype.byteWidth());
            if (changed < fewest) {
                nearest = c;
                fewest = changed;
            }
        }
        return nearest;
    }

    /** The previous version, and its values when the caller has them. */
    private record Known(Optional<ParamEntry> entry, Optional<MemorySegment> values) {}

    /**
     * The side-loaded update applied to the file's values, computed chunk by chunk into a mapped temporary file, is
     * the version stored (in the forced kind, against the previous version).
     */
    private ParamEntry encodeUpdated(
            String name, DType dtype, Shape shape, MemorySegment values, Known previous, GivenUpdate given)
            throws IOException {
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = values.byteSize();
            MemorySegment updated =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            try {
                forEachChunk(
                        size,
                        (at, len) -> given.apply(
                                values.asSlice(at, len),
                                updated.asSlice(at, len),
                                dtype,
                                at / dtype.byteWidth(),
                                len / dtype.byteWidth()));
            } catch (InternalError e) {
                throw MappedWrites.failed(tmp, e);
            }
            return encodeValues(name, dtype, shape, updated, previous, Optional.of(given));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void forEachChunk(long size, java.util.function.BiConsumer<Long, Long> chunk) {
        IntStream.range(0, ObjectFormat.chunkCount(size)).parallel().forEach(c -> {
            long at = (long) c * ObjectFormat.CHUNK_SIZE;
            chunk.accept(at, Math.min(ObjectFormat.CHUNK_SIZE, size - at));
        });
    }

    private ParamEntry encodeValues(
            String name, DType dtype, Shape shape, MemorySegment values, Known previous, Optional<GivenUpdate> given)
            throws IOException {
        ValuesDigest digest = ValuesDigest.of(values);
        boolean indexed = ValueIndex.worthIndexing(values.byteSize());
        if (previous.entry().isPresent()) {
            ParamEntry p = previous.entry().get();
            // not recorded in the index: that p's objects hold these values is the manifest's word, unchecked
            if (p.sha256().equals(digest.sha256())
                    && p.dtype() == dtype
                    && p.shape().equals(shape)) return p;
        }
        if (inlines(values.byteSize())) {
            return ParamEntry.inline(
                    name, dtype, shape, digest.sha256(), new InlineValues(values.toArray(ValueLayout.JAVA_BYTE)));
        }
        Optional<String> asked = askedKind(name);
        Optional<ParamEntry> known = !indexed
                ? Optional.empty()
                : this.values
                        .find(digest.sha256(), dtype, shape)
                        .filter(k -> asked.isEmpty() || asked.get().equals(k.update()));
        if (known.isPresent()) {
            ParamEntry k = known.get();
            return new ParamEntry(name, dtype, shape, k.sha256(), k.update(), k.objects(), k.attributes());
        }
        ParamEntry stored = encodeNew(name, dtype, shape, values, digest, previous, given);
        if (indexed) this.values.record(stored);
        return stored;
    }

    /**
     * The stored form the user asked for by name for this parameter: a forced kind, or low-rank where the named
     * adapter covers it. Values the store holds in another form are encoded again.
     */
    private Optional<String> askedKind(String name) {
        if (options.forced().isPresent())
            return Optional.of(options.forced().get().label());
        return options.lora().filter(adapter -> adapter.covers(name)).map(adapter -> UpdateKind.LOW_RANK.label());
    }

    /**
     * Small values are kept inline unless the user asked for a stored form (a forced kind, update data, a LoRA
     * adapter): then they are stored as asked, as larger ones are.
     */
    public boolean inlines(long valueBytes) {
        return valueBytes <= INLINE_MAX_BYTES
                && options.forced().isEmpty()
                && options.lora().isEmpty();
    }

    private ParamEntry encodeNew(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            ValuesDigest digest,
            Known previous,
            Optional<GivenUpdate> given)
            throws IOException {
        Optional<ParamEntry> base = previous.entry().filter(p -> canBeBase(p, dtype, shape));
        if (base.isEmpty()
                || options.forced().equals(Optional.of(UpdateKind.DENSE))
                || needsKeyframe(name, shape, values.byteSize(), base.get())) {
            return store(name, dtype, shape, digest, new Dense.Encoder(values, dtype.byteWidth()), List.of(), Map.of());
        }
        Optional<MemorySegment> known = base.get().isInline() ? Optional.empty() : previous.values();
        if (base.get().isInline()) base = Optional.of(storedInline(base.get()));
        try (DecodedBase decoded =
                known.isPresent() ? new DecodedBase(known.get(), () -> {}) : decodeBase(base.get())) {
            MemorySegment prev = decoded.values();
            if (options.lossyRank().isPresent()) {
                int rank = options.lossyRank().getAsInt();
                Optional<Reconstruction.LowRank> svd = LossyLowRank.fit(values, prev, dtype, shape, rank);
                if (svd.isPresent()) return storeLossy(name, dtype, shape, svd.get(), prev, base.get());
            }
            Encoding chosen =
                    choose(name, dtype, shape, values, prev, base.get().object().id(), chainBytes(base.get()), given);
            return store(
                    name,
                    dtype,
                    shape,
                    digest,
                    chosen,
                    chosen.kind() == UpdateKind.DENSE ? List.of() : base.get().objects(),
                    Map.of());
        }
    }

    /** Whether a delta may be stored against {@code p}: of this type and shape, its chain short enough and here. */
    private boolean canBeBase(ParamEntry p, DType dtype, Shape shape) {
        return p.dtype() == dtype
                && p.shape().equals(shape)
                // inline values become a base object of their own
                && Math.max(1, p.objects().size()) <= options.maxChainDepth()
                && p.objects().stream().allMatch(o -> store.contains(o.id()));
    }

    /** A base's decoded values and what frees them. */
    private record DecodedBase(MemorySegment values, Runnable release) implements AutoCloseable {
        @Override
        public void close() {
            release.run();
        }
    }

    /**
     * The previous version's values, for the candidates to read at random (sparse positions, ia3 rows, sampled
     * chunks): in memory while the bases being decoded fit {@link #BASES_IN_MEMORY}, else in a temporary file (see
     * {@link #decodeInto}), since one may be larger than memory. In memory, the decoded bytes never go through the
     * page cache, whose writes a busy disk throttles to its own speed (on the shared machine, most of a dense step's
     * wall time).
     */
    @SuppressWarnings("MustBeClosedChecker") // the arena belongs to the returned base, which closes it
    private DecodedBase decodeBase(ParamEntry entry) throws IOException {
        long size = entry.byteSize();
        int permits = (int) Math.min(BASES_IN_MEMORY / KIB, (size + KIB - 1) / KIB);
        Arena arena = Arena.ofShared();
        try {
            if (size > 0 && size <= BASES_IN_MEMORY && baseMemory.tryAcquire(permits)) {
                Runnable release = () -> {
                    arena.close();
                    baseMemory.release(permits);
                };
                try {
                    MemorySegment values = arena.allocate(size, 64);
                    decoder.decode(entry, values);
                    return new DecodedBase(values, release);
                } catch (IOException | RuntimeException | Error e) {
                    release.run();
                    throw e;
                }
            }
            Path tmp = store.newTempFile();
            try {
                return new DecodedBase(decodeInto(entry, tmp, arena), arena::close);
            } finally {
                Files.deleteIfExists(tmp); // the mapping stays readable
            }
        } catch (IOException | RuntimeException | Error e) {
            if (arena.scope().isAlive()) arena.close();
            throw e;
        }
    }

    /**
     * Inline values stored as a dense object, to be the base of the delta the user asked for by name (a forced kind,
     * update data, a LoRA adapter), as the previous version of a larger parameter would be.
     */
    private ParamEntry storedInline(ParamEntry inline) throws IOException {
        MemorySegment values =
                MemorySegment.ofArray(inline.inline().orElseThrow().bytes());
        Encoding dense = new Dense.Encoder(values, inline.dtype().byteWidth());
        return store(
                inline.name(), inline.dtype(), inline.shape(), ValuesDigest.of(values), dense, List.of(), Map.of());
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
     * The same values stored directly (dense), needing none of the objects they were a delta against: decoded into a
     * mapped temporary file, checked against the entry's hash, stored. What {@code git theta squash} does per
     * parameter.
     */
    public ParamEntry storeDirect(ParamEntry entry) throws IOException {
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment decoded = decodeInto(entry, tmp, arena);
            ValuesDigest digest = ValuesDigest.of(decoded);
            if (!digest.sha256().equals(entry.sha256())) {
                throw new IOException("parameter '" + entry.name() + "': its objects decode to values of sha256 "
                        + digest.sha256() + ", not the manifest's " + entry.sha256());
            }
            ParamEntry direct = store(
                    entry.name(),
                    entry.dtype(),
                    entry.shape(),
                    digest,
                    new Dense.Encoder(decoded, entry.dtype().byteWidth()),
                    List.of(),
                    entry.attributes());
            values.record(direct);
            return direct;
        } finally {
            Files.deleteIfExists(tmp);
        }
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
            try {
                forEachChunk(
                        size,
                        (at, len) ->
                                svd.apply(prev.asSlice(at, len), rebuilt.asSlice(at, len), dtype, at / w, len / w));
            } catch (InternalError e) {
                throw MappedWrites.failed(tmp, e);
            }
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
     * at random (sparse positions, ia3 rows, sampled chunks), and it may be larger than memory. Written with
     * write(2) and mapped read-only: stores into a writable mapping of a new file fault each page in zero-filled.
     */
    private MemorySegment decodeInto(ParamEntry entry, Path tmp, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            decoder.decode(entry, Channels.newOutputStream(ch));
            return entry.byteSize() == 0
                    ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, entry.byteSize(), arena);
        }
    }

    /**
     * Whether auto would store a keyframe whatever the delta: the chain under it already holds the parameter's raw
     * bytes, so no delta fits {@link #choose}'s budget. Decided before the base is decoded, which for a long chain
     * costs more than storing the keyframe. Forced kinds, lossy factors and a named adapter need the base.
     */
    private boolean needsKeyframe(String name, Shape shape, long valueBytes, ParamEntry base) throws IOException {
        if (options.forced().isPresent() || options.lossyRank().isPresent()) return false;
        if (options.lora().isPresent()
                && options.lora().get().factors(name, shape).isPresent()) return false;
        return chainBytes(base) >= valueBytes;
    }

    /** Bytes a clone fetches for {@code entry}: its object and every object of its delta chain. */
    private static long chainBytes(ParamEntry entry) {
        return entry.objects().stream().mapToLong(ObjectRef::size).sum();
    }

    /**
     * The forced kind where it applies to this parameter, else the smallest exact candidate. Forced low-rank takes the
     * adapter's factors, else those of the side-loaded update, else rank-R truncated-SVD factors of the change (R
     * from the options or the update), always with the exact residual.
     *
     * <p>Auto stores a new keyframe (dense) instead of a delta (other than a named LoRA adapter's) whenever the delta
     * and the chain under it ({@code chainBytes}: the objects a checkout of this version must fetch) would exceed the
     * parameter's raw bytes, what git-lfs fetches for it: so a clone of any version fetches at most what git-lfs
     * would. Sizes are estimated from samples ({@link Sampling}), never by encoding a candidate whole.
     */
    Encoding choose(
            String name,
            DType dtype,
            Shape shape,
            MemorySegment values,
            MemorySegment prev,
            ObjectId base,
            long chainBytes,
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
        Encoding dense = new Dense.Encoder(values, w);
        long denseBytes = estimate(dense);
        // a delta whose chain outgrows what git-lfs fetches for the parameter becomes a keyframe
        long deltaBudget = values.byteSize() - chainBytes;
        double changed = Sampling.changedFraction(values, prev, w);
        // most elements changed (sampled): the exact sparse search would only find out the slow way
        Optional<Encoding> few = changed > 2.0 / SPARSE_DIVISOR
                ? Optional.empty()
                : SparseDelta.find(values, prev, w, units / SPARSE_DIVISOR, base);
        if (few.isPresent()) return estimate(few.get()) <= deltaBudget ? few.get() : dense;
        List<Encoding> candidates = new ArrayList<>(List.of(new XorDelta.Encoder(values, prev, w, base)));
        Optional<Encoding> adapter = lora.map(f -> new Rebuilt.Encoder(f, values, prev, dtype, base));
        adapter.ifPresent(candidates::add);
        if (Reconstruction.appliesTo(dtype)) {
            long[] m = Reconstruction.matrix(shape);
            long sampledRows = Math.max(1, Math.min(IA3_SAMPLE_ROWS, IA3_SAMPLE_ELEMENTS / Math.max(1, m[1])));
            Ia3Trial trial = bestIa3(values, prev, dtype, shape, Math.max(1, m[0] / sampledRows));
            // the unchanged elements match any fit near 1: the fit must also explain most of the changed ones
            double explained = changed == 0 ? 0 : (trial.match() - (1 - changed)) / changed;
            if (trial.match() >= IA3_MIN_MATCH && explained >= IA3_MIN_MATCH) {
                Reconstruction.Ia3 fit = Reconstruction.Ia3.fit(
                        values, prev, dtype, m[0], m[1], trial.fit().axis(), 1);
                candidates.add(new Rebuilt.Encoder(fit, values, prev, dtype, base));
            }
        }
        Encoding best = dense;
        long bestSize = denseBytes;
        for (Encoding e : candidates) {
            long size = estimate(e);
            // the adapter the user named (--lora) is taken when smallest, whatever the chain under it
            if (size < bestSize && (size <= deltaBudget || (adapter.isPresent() && e == adapter.get()))) {
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
            same += Sampling.sameElements(guess, 0, values, at, cols, w);
            total += cols;
        }
        return total == 0 ? 0 : (double) same / total;
    }

    /** Compressed size of a candidate, from evenly spaced windows of its bulk section ({@link Sampling}). */
    private long estimate(Encoding e) throws IOException {
        Section s = e.bulk();
        long rawBytes = 0, stored = 0;
        for (Sampling.Window window : Sampling.windows(s.length())) {
            byte[] raw = new byte[window.length()];
            s.source().read(window.offset(), raw, raw.length);
            stored += codec.encodedLength(raw, raw.length, s.elementWidth());
            rawBytes += raw.length;
        }
        if (rawBytes == 0) return e.fixedBytes();
        return (long) ((double) stored * s.length() / rawBytes) + e.fixedBytes();
    }
}
