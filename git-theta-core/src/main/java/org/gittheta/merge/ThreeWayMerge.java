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
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.ParamReport.Action;
import org.gittheta.store.Ordered;
import org.gittheta.tensor.TensorView;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;

/**
 * Three-way merge of two versions of a checkpoint, parameter by parameter. Unchanged parameters, and parameters
 * changed or added on one side only, are taken from the side that has them, bit-exact, without reading values.
 * Parameters changed on both sides go to the configured strategy; type or shape disagreements, modify/delete and
 * strategies that cannot decide are conflicts, and then nothing is computed or stored.
 *
 * <p>Computed parameters are decoded into off-heap memory one at a time per worker, a few workers at once, and at
 * most {@code memoryBudget} bytes of values in flight (a parameter larger than the budget runs alone).
 */
public final class ThreeWayMerge {
    private static final long MIB = 1 << 20;

    private final ParamDecoder decoder;
    private final ParamEncoder encoder;
    private final MergeConfig config;
    private final FisherSource fisherOurs;
    private final FisherSource fisherTheirs;
    private final Semaphore memory;
    private final int budgetMib;

    public ThreeWayMerge(ParamDecoder decoder, ParamEncoder encoder, MergeConfig config,
                         FisherSource fisherOurs, FisherSource fisherTheirs, long memoryBudget) {
        this.decoder = decoder;
        this.encoder = encoder;
        this.config = config;
        this.fisherOurs = fisherOurs;
        this.fisherTheirs = fisherTheirs;
        this.budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, memoryBudget / MIB));
        this.memory = new Semaphore(budgetMib);
    }

    /** A parameter's plan: kept as an entry, dropped, computed, or a conflict. */
    private sealed interface Plan {}

    private record Keep(ParamEntry entry, Action action, String detail) implements Plan {}

    private record Drop(String detail) implements Plan {}

    private record Compute(MergeStrategy.Arithmetic strategy, Optional<ParamEntry> base, ParamEntry ours, ParamEntry theirs) implements Plan {}

    private record Conflict(String why) implements Plan {}

    /** @param path the checkpoint's path in the repository, for messages and a rebuilt header */
    public MergeResult merge(String path, Optional<Manifest> base, Manifest ours, Manifest theirs) throws IOException {
        if (!ours.format().equals(theirs.format())) {
            return new MergeResult(Optional.empty(), List.of(new ParamReport("(file)", Action.CONFLICT,
                    "format " + ours.format() + " on ours, " + theirs.format() + " on theirs")));
        }
        Map<String, ParamEntry> b = base.map(Manifest::byName).orElse(Map.of());
        Map<String, ParamEntry> o = ours.byName();
        Map<String, ParamEntry> t = theirs.byName();
        TreeSet<String> names = new TreeSet<>(b.keySet());
        names.addAll(o.keySet());
        names.addAll(t.keySet());
        List<String> order = new ArrayList<>(names);
        List<Plan> plans = new ArrayList<>();
        for (String name : order) plans.add(plan(name, b.get(name), o.get(name), t.get(name)));

        List<ParamReport> reports = new ArrayList<>();
        boolean conflicted = plans.stream().anyMatch(p -> p instanceof Conflict);
        List<ParamEntry> merged = new ArrayList<>();
        if (conflicted) {
            for (int i = 0; i < order.size(); i++) reports.add(reportWithoutComputing(order.get(i), plans.get(i)));
            return new MergeResult(Optional.empty(), reports);
        }
        Ordered.run(order.size(), i -> execute(order.get(i), plans.get(i)), r -> {
            reports.add(r.report());
            r.entry().ifPresent(merged::add);
        });
        Manifest result = Skeletons.merged(path, ours, theirs, base, merged);
        return new MergeResult(Optional.of(result), reports);
    }

    private Plan plan(String name, ParamEntry b, ParamEntry o, ParamEntry t) {
        if (formulaEverywhere(name, b, o, t)) {
            if (o.dtype() != t.dtype() || !o.shape().equals(t.shape()) || o.dtype() != b.dtype() || !o.shape().equals(b.shape())) {
                return new Conflict("scope all: ours is " + o.dtype() + o.shape() + ", theirs " + t.dtype() + t.shape()
                        + ", base " + b.dtype() + b.shape());
            }
            return strategyPlan(name, b, o, t);
        }
        if (same(o, t)) {
            if (o == null) return new Drop("deleted on both sides");
            return new Keep(o, same(o, b) ? Action.UNCHANGED : Action.OURS, same(o, b) ? "" : "same change on both sides");
        }
        if (same(o, b)) return t == null ? new Drop("deleted on theirs") : new Keep(t, Action.THEIRS, b == null ? "added on theirs" : "changed on theirs");
        if (same(t, b)) return o == null ? new Drop("deleted on ours") : new Keep(o, Action.OURS, b == null ? "added on ours" : "changed on ours");
        if (o == null || t == null) {
            return new Conflict((o == null ? "deleted on ours, modified on theirs" : "modified on ours, deleted on theirs"));
        }
        if (o.dtype() != t.dtype() || !o.shape().equals(t.shape())) {
            return new Conflict("ours is " + o.dtype() + o.shape() + ", theirs " + t.dtype() + t.shape()
                    + (b == null ? "" : ", base " + b.dtype() + b.shape()));
        }
        return strategyPlan(name, b, o, t);
    }

    /**
     * Scope {@code all}: a float parameter all three versions have, changed on some side, goes through the formula
     * (a side that did not change it has τ = 0); non-float parameters keep the three-way rule. A parameter
     * unchanged everywhere is kept, since every formula gives it back.
     */
    private boolean formulaEverywhere(String name, ParamEntry b, ParamEntry o, ParamEntry t) {
        if (config.scopeFor(name) != Scope.ALL || b == null || o == null || t == null) return false;
        if (same(o, b) && same(t, b)) return false;
        MergeStrategy strategy = config.strategyFor(name);
        return !(strategy instanceof Fail) && (strategy instanceof Pick || TensorView.writable(o.dtype()) && TensorView.writable(t.dtype()));
    }

    private Plan strategyPlan(String name, ParamEntry b, ParamEntry o, ParamEntry t) {
        Optional<ParamEntry> usableBase = Optional.ofNullable(b).filter(x -> x.dtype() == o.dtype() && x.shape().equals(o.shape()));
        MergeStrategy strategy = config.strategyFor(name);
        return switch (strategy) {
            case Pick p when p.side() == Side.OURS -> new Keep(o, Action.CHOSEN, "ours");
            case Pick p when p.side() == Side.THEIRS -> new Keep(t, Action.CHOSEN, "theirs");
            case Pick p -> usableBase.<Plan>map(x -> new Keep(x, Action.CHOSEN, "base"))
                    .orElseGet(() -> new Conflict("strategy base: " + (b == null ? "added on both sides" : "type or shape changed on both sides")));
            case Fail f -> new Conflict("changed on both sides (strategy fail)");
            case MergeStrategy.Arithmetic a when !TensorView.writable(o.dtype()) -> config.nonFloat()
                    .<Plan>map(side -> new Keep(side == Side.OURS ? o : t, Action.CHOSEN,
                            side.label() + ": " + o.dtype() + " is not a float type (theta.merge.nonFloat)"))
                    .orElseGet(() -> new Conflict(o.dtype() + " changed on both sides: " + a.describe()
                            + " needs floats (set theta.merge.nonFloat to ours or theirs, or a rule)"));
            case MergeStrategy.Arithmetic a when a.needsBase() && usableBase.isEmpty() -> new Conflict(a.describe()
                    + " needs the base version, but the parameter was " + (b == null ? "added on both sides" : "retyped or reshaped on both sides"));
            case MergeStrategy.Arithmetic a -> new Compute(a, usableBase, o, t);
        };
    }

    private static boolean same(ParamEntry x, ParamEntry y) {
        if (x == null || y == null) return x == y;
        return x.sameValues(y);
    }

    private record Outcome(ParamReport report, Optional<ParamEntry> entry) {}

    private static ParamReport reportWithoutComputing(String name, Plan plan) {
        return switch (plan) {
            case Keep k -> new ParamReport(name, k.action(), k.detail());
            case Drop d -> new ParamReport(name, Action.DELETED, d.detail());
            case Compute c -> new ParamReport(name, Action.MERGED, c.strategy().describe() + " (not computed: the merge has conflicts)");
            case Conflict c -> new ParamReport(name, Action.CONFLICT, c.why());
        };
    }

    private Outcome execute(String name, Plan plan) throws IOException {
        if (!(plan instanceof Compute c)) return new Outcome(reportWithoutComputing(name, plan), plan instanceof Keep k ? Optional.of(k.entry()) : Optional.empty());
        ParamEntry o = c.ours();
        long inputs = 3 + (c.base().isPresent() ? 1 : 0) + (c.strategy() instanceof FisherMerge ? 2 : 0);
        int permits = (int) Math.min(budgetMib, Math.max(1, inputs * o.byteSize() / MIB));
        try {
            memory.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try (Arena arena = Arena.ofShared()) { // shared: the encoder compresses on other threads
            Optional<TensorView> base = c.base().isEmpty() ? Optional.empty()
                    : Optional.of(new TensorView(Values.decode(decoder, c.base().get(), arena), o.dtype()));
            TensorView ours = new TensorView(Values.decode(decoder, o, arena), o.dtype());
            TensorView theirs = new TensorView(Values.decode(decoder, c.theirs(), arena), o.dtype());
            boolean fisher = c.strategy() instanceof FisherMerge;
            MergeInput in = new MergeInput(name, base, ours, theirs,
                    fisher ? fisherOurs.values(name, o.shape(), arena) : Optional.empty(),
                    fisher ? fisherTheirs.values(name, o.shape(), arena) : Optional.empty());
            MemorySegment out = arena.allocate(Math.max(1, o.byteSize()), 8).asSlice(0, o.byteSize());
            TensorView result = new TensorView(out, o.dtype());
            String note = String.join("; ", java.util.stream.Stream.of(c.strategy().merge(in, result), NonFinite.note(result))
                    .filter(x -> !x.isEmpty()).toList());
            ParamEntry entry = encoder.encode(name, o.dtype(), o.shape(), out, Optional.of(o));
            String detail = c.strategy().describe() + (note.isEmpty() ? "" : ": " + note);
            return new Outcome(new ParamReport(name, Action.MERGED, detail), Optional.of(entry));
        } finally {
            memory.release(permits);
        }
    }
}
