package org.gittheta.merge;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.ParamReport.Action;
import org.gittheta.progress.Progress;
import org.gittheta.store.MappedWrites;
import org.gittheta.store.MemoryPool;
import org.gittheta.store.Ordered;
import org.gittheta.tensor.TensorView;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;

/**
 * Merge of N ≥ 2 versions of a checkpoint (ours first) against their base, parameter by parameter. With scope
 * {@code changed} (git's rule) unchanged parameters, and parameters changed (or added, or deleted) by one model only
 * or identically by every model that changed them, are taken as they are, bit-exact, without reading values;
 * parameters changed differently by several models go to their strategy, over the models that changed them. With
 * scope {@code all} the strategy's formula applies to every float parameter all models and the base have, over all
 * models. Type or shape disagreements, modify/delete and strategies that cannot decide are conflicts, and then
 * nothing is computed or stored.
 *
 * <p>Computed parameters are decoded outside the heap ({@link Values}), their versions together (the objects their
 * delta chains share decoded once), one parameter at a time per worker, a few workers at once, at most
 * {@code memoryBudget} bytes of values in flight in native memory; a parameter larger than the budget runs alone, its
 * values in mapped temporary files. Strategies read them in chunks ({@link Chunks}); the result is stored against
 * ours with ours's values as decoded here (the encoder does not decode them again). Given a {@link MergedFile}, a
 * parameter is computed in its slot of that file, mapped, instead of in native memory of its own.
 */
public final class NWayMerge {
    private static final long MIB = 1 << 20;

    private final ParamDecoder decoder;
    private final ParamEncoder encoder;
    private final ParamStrategies strategies;
    private final List<FisherSource> fishers;
    private final Semaphore memory;
    private final int budgetMib;
    private final Progress progress;

    /**
     * @param fishers  one per model, in the models' order ({@link FisherSource#none()} where there is none)
     * @param progress told the bytes of the parameters computed, as each is done
     */
    public NWayMerge(
            ParamDecoder decoder,
            ParamEncoder encoder,
            ParamStrategies strategies,
            List<FisherSource> fishers,
            long memoryBudget,
            Progress progress) {
        this.progress = progress;
        this.decoder = decoder;
        this.encoder = encoder;
        this.strategies = strategies;
        this.fishers = List.copyOf(fishers);
        this.budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, memoryBudget / MIB));
        this.memory = new Semaphore(budgetMib);
    }

    /** A parameter's plan: kept as an entry, dropped, computed, or a conflict. */
    private sealed interface Plan {}

    private record Keep(ParamEntry entry, Action action, String detail) implements Plan {}

    private record Drop(String detail) implements Plan {}

    /** @param models the models taking part, by index; entries[i] is model i's version */
    private record Compute(
            MergeStrategy.Arithmetic strategy,
            Optional<ParamEntry> base,
            List<Integer> models,
            ParamEntry[] entries,
            String path)
            implements Plan {}

    private record Conflict(String why) implements Plan {}

    /** The manifests of one merge, with the models' names for the report (e.g. ours, theirs, or revisions). */
    private record Versions(Optional<Manifest> base, List<Manifest> models, List<String> labels) {
        String where(List<Integer> indices) {
            if (models.size() == 2 && indices.size() == 2) return "both sides";
            return indices.stream().map(labels::get).collect(Collectors.joining(", "));
        }
    }

    /**
     * @param path   the checkpoint's path in the repository, for messages and a rebuilt header
     * @param models ours first, then the others; at least two
     * @param labels the models' names in reports, same order
     */
    public MergeResult merge(String path, Optional<Manifest> base, List<Manifest> models, List<String> labels)
            throws IOException {
        return merge(path, base, models, labels, false, Optional.empty());
    }

    /**
     * The same; with {@code dryRun}, computed values are measured ({@link ParamStats}) and neither stored nor
     * assembled: the result has no manifest, only the report. Otherwise, given a {@code file}, the computed values are
     * computed in it where it has their slots, so that the checkout after the merge does not decode them again.
     */
    public MergeResult merge(
            String path,
            Optional<Manifest> base,
            List<Manifest> models,
            List<String> labels,
            boolean dryRun,
            Optional<MergedFile> file)
            throws IOException {
        if (models.size() < 2 || labels.size() != models.size() || fishers.size() != models.size()) {
            throw new IllegalArgumentException(path + ": " + models.size() + " models, " + labels.size() + " labels, "
                    + fishers.size() + " Fisher sources");
        }
        Versions v = new Versions(base, List.copyOf(models), List.copyOf(labels));
        for (int i = 1; i < models.size(); i++) {
            if (!models.get(i).format().equals(models.getFirst().format())) {
                return new MergeResult(
                        Optional.empty(),
                        List.of(new ParamReport(
                                "(file)",
                                Action.CONFLICT,
                                "format "
                                        + models.getFirst().format() + " on " + labels.getFirst() + ", "
                                        + models.get(i).format()
                                        + " on " + labels.get(i))));
            }
        }
        Map<String, ParamEntry> b = base.map(Manifest::byName).orElse(Map.of());
        List<Map<String, ParamEntry>> byName =
                models.stream().map(Manifest::byName).toList();
        TreeSet<String> names = new TreeSet<>(b.keySet());
        byName.forEach(m -> names.addAll(m.keySet()));
        List<String> order = new ArrayList<>(names);
        List<Plan> plans = new ArrayList<>();
        for (String name : order) {
            ParamEntry[] e = new ParamEntry[models.size()];
            for (int i = 0; i < e.length; i++) e[i] = byName.get(i).get(name);
            plans.add(plan(v, name, b.get(name), e));
        }
        List<ParamReport> reports = new ArrayList<>();
        if (plans.stream().anyMatch(p -> p instanceof Conflict)) {
            for (int i = 0; i < order.size(); i++) reports.add(reportWithoutComputing(order.get(i), plans.get(i)));
            return new MergeResult(Optional.empty(), reports);
        }
        List<ParamEntry> merged = new ArrayList<>();
        long[] computed = plans.stream().mapToLong(NWayMerge::computedBytes).toArray();
        try (MemoryPool pool = new MemoryPool((long) budgetMib * MIB);
                Progress.Task task = progress.start(
                        "merging " + path, LongStream.of(computed).sum())) {
            Ordered.run(
                    order.size(),
                    i -> {
                        Outcome outcome = execute(order.get(i), plans.get(i), models.size(), dryRun, pool, file);
                        task.advance(computed[i]);
                        return outcome;
                    },
                    r -> {
                        reports.add(r.report());
                        r.entry().ifPresent(merged::add);
                    });
        } catch (MergeOptionException e) {
            throw new MergeOptionException(path + ": " + e.getMessage());
        }
        if (dryRun) return new MergeResult(Optional.empty(), reports);
        return new MergeResult(Optional.of(Skeletons.merged(path, models, base, merged, decoder)), reports);
    }

    /** The bytes of the values a plan computes: what the merge's time goes into. */
    private static long computedBytes(Plan plan) {
        return plan instanceof Compute c ? c.entries()[c.models().getFirst()].byteSize() : 0;
    }

    private Plan plan(Versions v, String name, ParamEntry b, ParamEntry[] e) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < e.length; i++) all.add(i);
        if (formulaEverywhere(name, b, e)) {
            for (ParamEntry x : e) {
                if (x.dtype() != b.dtype() || !x.shape().equals(b.shape()))
                    return new Conflict("scope all: " + specs(v, all, e, b));
            }
            return strategyPlan(v, name, b, all, e, "scope all");
        }
        List<Integer> changers = all.stream().filter(i -> !same(e[i], b)).toList();
        if (changers.isEmpty()) return new Keep(b, Action.UNCHANGED, "");
        ParamEntry first = e[changers.getFirst()];
        if (changers.stream().allMatch(i -> same(e[i], first))) {
            String where = v.where(changers);
            if (first == null) return new Drop("deleted on " + where);
            String detail =
                    changers.size() > 1 ? "same change on " + where : (b == null ? "added on " : "changed on ") + where;
            return new Keep(first, changers.getFirst() == 0 ? Action.OURS : Action.THEIRS, detail);
        }
        if (changers.stream().anyMatch(i -> e[i] == null)) {
            return new Conflict(changers.stream()
                    .map(i -> (e[i] == null ? "deleted on " : "modified on ")
                            + v.labels().get(i))
                    .collect(Collectors.joining(", ")));
        }
        if (changers.stream()
                .anyMatch(i -> e[i].dtype() != first.dtype() || !e[i].shape().equals(first.shape()))) {
            return new Conflict(specs(v, changers, e, b));
        }
        return strategyPlan(v, name, b, changers, e, "changed on " + v.where(changers));
    }

    private static String specs(Versions v, List<Integer> models, ParamEntry[] e, ParamEntry b) {
        StringBuilder s = new StringBuilder();
        for (int i : models) {
            s.append(s.isEmpty() ? "" : ", ").append(v.labels().get(i)).append(s.isEmpty() ? " is " : " ");
            s.append(e[i] == null ? "absent" : e[i].dtype() + "" + e[i].shape());
        }
        return s + (b == null ? "" : ", base " + b.dtype() + b.shape());
    }

    /**
     * Scope {@code all}: a float parameter all versions have, changed by some model, goes through the formula (a
     * model that did not change it has τ = 0); non-float parameters keep git's rule. A parameter unchanged
     * everywhere is kept, since every formula gives it back.
     */
    private boolean formulaEverywhere(String name, ParamEntry b, ParamEntry[] e) {
        if (strategies.scopeFor(name) != Scope.ALL || b == null) return false;
        boolean changed = false;
        for (ParamEntry x : e) {
            if (x == null) return false;
            changed |= !same(x, b);
        }
        if (!changed) return false;
        MergeStrategy strategy = strategies.strategyFor(name);
        return switch (strategy) {
            case Fail f -> false;
            case Pick p -> true;
            case MergeStrategy.Arithmetic a -> Stream.of(e).allMatch(x -> TensorView.writable(x.dtype()));
        };
    }

    private Plan strategyPlan(
            Versions v, String name, ParamEntry b, List<Integer> models, ParamEntry[] e, String path) {
        ParamEntry first = e[models.getFirst()];
        Optional<ParamEntry> usableBase = Optional.ofNullable(b)
                .filter(x -> x.dtype() == first.dtype() && x.shape().equals(first.shape()));
        MergeStrategy strategy = strategies.strategyFor(name);
        return switch (strategy) {
            case Pick p
            when p.side() == Side.BASE ->
                usableBase
                        .<Plan>map(x -> new Keep(x, Action.CHOSEN, "base"))
                        .orElseGet(() -> new Conflict("strategy base: "
                                + (b == null
                                        ? "added on " + v.where(models)
                                        : "type or shape changed on " + v.where(models))));
            case Pick p -> chosen(v, p.side(), e, "");
            case Fail f -> new Conflict("changed on " + v.where(models) + " (strategy fail)");
            case MergeStrategy.Arithmetic a
            when !TensorView.writable(first.dtype()) ->
                strategies
                        .nonFloat()
                        .map(side -> chosen(
                                v, side, e, ": " + first.dtype() + " is not a float type (theta.merge.nonFloat)"))
                        .orElseGet(() ->
                                new Conflict(first.dtype() + " changed on " + v.where(models) + ": " + a.describe()
                                        + " needs floats (set theta.merge.nonFloat to ours or theirs, or a rule)"));
            case MergeStrategy.TaskVectors a
            when usableBase.isEmpty() ->
                new Conflict(a.describe()
                        + " needs the base version, but the parameter was "
                        + (b == null ? "added on " : "retyped or reshaped on ") + v.where(models));
            case Slerp s
            when models.size() != 2 ->
                new Conflict(s.describe() + " merges two models, but " + models.size() + " changed this parameter ("
                        + v.where(models) + ")");
            case MergeStrategy.Arithmetic a -> new Compute(a, usableBase, models, e, path);
        };
    }

    /** Ours, or theirs when the merge has two models. */
    private static Plan chosen(Versions v, Side side, ParamEntry[] e, String why) {
        int index = side == Side.OURS ? 0 : 1;
        if (side == Side.THEIRS && e.length != 2) {
            return new Conflict("theirs is ambiguous in a merge of " + e.length + " models ("
                    + String.join(", ", v.labels()) + ")");
        }
        if (e[index] == null)
            return new Conflict(
                    "strategy " + side.label() + ": absent on " + v.labels().get(index));
        return new Keep(e[index], Action.CHOSEN, v.labels().get(index) + why);
    }

    private static boolean same(ParamEntry x, ParamEntry y) {
        if (x == null || y == null) return x == y;
        return x.sameValues(y);
    }

    private record Outcome(ParamReport report, Optional<ParamEntry> entry) {}

    /** A parameter's merged values, and what its strategy noted. */
    private record Computed(TensorView result, String note) {}

    /**
     * Computes a parameter in its slot of the merged file if that has one, else in native memory; also where the file
     * system cannot back the slot's pages (a full disk faults the mapping): the merged file is then abandoned, and the
     * parameter computed again in memory, as without it.
     */
    private static Computed compute(
            MergeStrategy.Arithmetic strategy,
            MergeInput in,
            ParamEntry first,
            Optional<MergedFile> file,
            Values.Space space,
            Arena arena)
            throws IOException {
        Optional<MemorySegment> slot = file.flatMap(f -> f.slot(in.name(), first.dtype(), first.byteSize(), arena));
        if (slot.isPresent()) {
            try {
                Computed computed = compute(strategy, in, new TensorView(slot.get(), first.dtype()));
                file.get().computed(in.name());
                return computed;
            } catch (InternalError e) {
                if (!MappedWrites.isFault(e)) throw e;
                file.get().abandon();
            }
        }
        return compute(strategy, in, new TensorView(space.allocate(first.byteSize(), true), first.dtype()));
    }

    private static Computed compute(MergeStrategy.Arithmetic strategy, MergeInput in, TensorView result)
            throws MergeOptionException {
        String merged;
        try {
            merged = strategy.merge(in, result);
        } catch (IllegalArgumentException e) {
            // an option that does not fit this merge: a list of values for another number of models, weights
            // summing to 0
            throw new MergeOptionException(in.name() + ": " + strategy.describe() + ": " + e.getMessage());
        }
        String note = Stream.of(merged, NonFinite.canonicalise(result))
                .filter(x -> !x.isEmpty())
                .collect(Collectors.joining("; "));
        return new Computed(result, note);
    }

    private static ParamReport reportWithoutComputing(String name, Plan plan) {
        return switch (plan) {
            case Keep k -> new ParamReport(name, k.action(), k.detail());
            case Drop d -> new ParamReport(name, Action.DELETED, d.detail());
            case Compute c ->
                new ParamReport(
                        name, Action.MERGED, c.strategy().describe() + " (not computed: the merge has conflicts)");
            case Conflict c -> new ParamReport(name, Action.CONFLICT, c.why());
        };
    }

    private Outcome execute(
            String name, Plan plan, int modelCount, boolean dryRun, MemoryPool pool, Optional<MergedFile> file)
            throws IOException {
        if (!(plan instanceof Compute c)) {
            return new Outcome(
                    reportWithoutComputing(name, plan),
                    plan instanceof Keep k ? Optional.of(k.entry()) : Optional.empty());
        }
        ParamEntry first = c.entries()[c.models().getFirst()];
        boolean fisher = c.strategy() instanceof FisherMerge;
        // strategies on task vectors and the dry run's statistics read the base; the others do not
        Optional<ParamEntry> baseEntry =
                c.strategy() instanceof MergeStrategy.TaskVectors || dryRun ? c.base() : Optional.empty();
        long inputs = 1 + c.models().size() * (fisher ? 2L : 1L) + (baseEntry.isPresent() ? 1 : 0);
        long bytes = inputs * first.byteSize();
        int permits = (int) Math.min(budgetMib, Math.max(1, bytes / MIB));
        try {
            memory.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        int held = permits;
        boolean inMemory = bytes <= (long) budgetMib * MIB;
        try (Arena arena = Arena.ofShared(); // shared: the encoder compresses on other threads
                Values.Space space = new Values.Space(decoder, pool, inMemory, arena)) {

            // distinct versions decoded together (the models' delta chains usually share the base's object)
            List<ParamEntry> distinct = new ArrayList<>();
            baseEntry.ifPresent(distinct::add);
            for (int i : c.models()) {
                if (distinct.stream().noneMatch(d -> d.sameValues(c.entries()[i]))) distinct.add(c.entries()[i]);
            }
            List<MemorySegment> decoded = Values.decodeTogether(decoder, distinct, space);
            Function<ParamEntry, MemorySegment> valuesOf = e -> {
                for (int d = 0; d < distinct.size(); d++) if (distinct.get(d).sameValues(e)) return decoded.get(d);
                return null;
            };
            Optional<TensorView> base = baseEntry.map(b -> new TensorView(valuesOf.apply(b), first.dtype()));
            List<MergeInput.Model> models = new ArrayList<>();
            for (int i : c.models()) {
                TensorView values = new TensorView(valuesOf.apply(c.entries()[i]), first.dtype());
                models.add(new MergeInput.Model(
                        i,
                        values,
                        fisher ? fishers.get(i).values(name, first.shape(), space.inputs()) : Optional.empty()));
            }
            MergeInput in = new MergeInput(name, base, models, modelCount);
            Computed computed = compute(c.strategy(), in, first, dryRun ? Optional.empty() : file, space, arena);
            TensorView result = computed.result();
            MemorySegment out = result.segment();
            String note = computed.note();
            String detail = c.strategy().describe()
                    + (c.path().startsWith("scope") ? ", " + c.path() : "")
                    + (note.isEmpty() ? "" : ": " + note);
            if (dryRun) {
                return new Outcome(
                        new ParamReport(name, Action.MERGED, detail, Optional.of(ParamStats.of(in, result))),
                        Optional.empty());
            }
            ParamEntry ours = c.entries()[0];
            ParamEntry previous = ours != null
                            && ours.dtype() == first.dtype()
                            && ours.shape().equals(first.shape())
                    ? ours
                    : first;
            // stored against ours or whichever decoded version is nearer (a TIES merge keeps a fraction of each
            // change: the base)
            List<ParamEntry> versions = new ArrayList<>(List.of(previous));
            c.base().ifPresent(versions::add);
            for (int i : c.models()) versions.add(c.entries()[i]);
            List<ParamEncoder.Candidate> decodedVersions = new ArrayList<>();
            for (ParamEntry e : versions) {
                MemorySegment values = valuesOf.apply(e);
                if (values != null
                        && decodedVersions.stream().noneMatch(a -> a.entry().sameValues(e)))
                    decodedVersions.add(new ParamEncoder.Candidate(e, values));
            }
            Optional<ParamEncoder.Candidate> against = decodedVersions.isEmpty()
                    ? Optional.empty()
                    : Optional.of(encoder.nearest(name, first.dtype(), first.shape(), out, decodedVersions));
            Optional<MemorySegment> againstValues = against.map(ParamEncoder.Candidate::values);
            if (inMemory) {
                // the encoder reads only the result and the values it is stored against: the other inputs' memory
                // goes back now, so that the next parameter decodes and computes while this one is hashed and
                // compressed
                space.giveBackAllBut(againstValues.map(v -> List.of(out, v)).orElse(List.of(out)));
                int kept = (int) Math.min(held, Math.max(1, 2 * first.byteSize() / MIB));
                memory.release(held - kept);
                held = kept;
            }
            ParamEntry entry = encoder.encode(
                    name,
                    first.dtype(),
                    first.shape(),
                    out,
                    Optional.of(against.map(ParamEncoder.Candidate::entry).orElse(previous)),
                    againstValues);
            return new Outcome(new ParamReport(name, Action.MERGED, detail), Optional.of(entry));
        } finally {
            memory.release(held);
        }
    }
}
