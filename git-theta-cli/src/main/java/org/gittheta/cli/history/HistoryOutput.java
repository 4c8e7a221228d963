package org.gittheta.cli.history;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.Table;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.diff.DeltaStats;
import org.gittheta.diff.ParamDiff;
import org.gittheta.diff.ParamInfo;
import org.gittheta.format.OpaqueFormat;

/** Human tables and JSON for the history commands; the JSON field names are documented in docs/history.md. */
final class HistoryOutput {
    private HistoryOutput() {}

    static String real(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.3g", d);
    }

    /** Cosines of fine-tunes sit just below 1: enough digits to tell them apart. */
    static String cosine(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.6f", d);
    }

    /**
     * {@code 12 of 103 parameters changed, 1.3M of 22.7M elements[, 4 moved between shards]}; for a file stored
     * whole (not split into parameters) {@code stored whole: modified, 3.0 MiB}.
     */
    static String summary(CheckpointDiff d) {
        if (!d.params().isEmpty() && d.params().stream().allMatch(p -> p.name().equals(OpaqueFormat.WHOLE_FILE))) {
            ParamDiff file = d.params().getFirst();
            return "stored whole: " + file.status().label() + ", " + Sizes.human(file.elements());
        }
        return d.changed().size() + " of " + d.params().size() + " parameters changed, "
                + Sizes.count(d.changedElements()) + " of " + Sizes.count(d.totalElements()) + " elements"
                + (d.moved() == 0 ? "" : ", " + d.moved() + " moved between shards")
                // with a parameter, the header changes too (its shape, a zip's CRC-32): said only when alone
                + (d.skeletonChanged() && d.changed().isEmpty() ? "; the file's metadata or layout changed" : "");
    }

    /**
     * An aligned table of the given parameters, columns as wide as their widest cell; with {@code sharded}, a
     * {@code shard} column after the name ({@code old→new} for a parameter that moved).
     */
    static List<String> table(List<ParamDiff> params, boolean sharded) {
        List<String[]> rows = new ArrayList<>();
        rows.add(withShard(
                sharded,
                "shard",
                "status",
                "parameter",
                "dtype",
                "shape",
                "changed",
                "‖Δ‖",
                "max|Δ|",
                "‖Δ‖/‖θ‖",
                "cos",
                "update",
                "stored"));
        for (ParamDiff p : params) {
            Optional<DeltaStats> s = p.stats();
            rows.add(withShard(
                    sharded,
                    change(p, i -> i.shard().orElse("-")),
                    p.status().label(),
                    p.name(),
                    change(p, i -> i.dtype().toString()),
                    change(p, i -> i.shape().toString()),
                    Sizes.count(p.changedElements()),
                    s.map(x -> real(x.l2())).orElse("-"),
                    s.map(x -> real(x.maxAbs())).orElse("-"),
                    s.map(x -> real(x.relative())).orElse("-"),
                    s.map(x -> cosine(x.cosine())).orElse("-"),
                    p.after().flatMap(ParamInfo::update).orElse("-"),
                    p.after().flatMap(ParamInfo::storedBytes).map(Sizes::human).orElse("-")));
        }
        return sharded ? Table.align(rows, 5, 9) : Table.align(rows, 4, 8);
    }

    /** The row, with {@code shard} inserted after the first two cells (status, name) when {@code sharded}. */
    private static String[] withShard(boolean sharded, String shard, String... cells) {
        if (!sharded) return cells;
        List<String> row = new ArrayList<>(List.of(cells));
        row.add(2, shard);
        return row.toArray(String[]::new);
    }

    /** {@code BF16} when both sides agree, {@code F32→BF16} when not, one side's value for added/removed. */
    private static String change(ParamDiff p, java.util.function.Function<ParamInfo, String> f) {
        Optional<String> a = p.before().map(f);
        Optional<String> b = p.after().map(f);
        if (a.isEmpty() || b.isEmpty() || a.equals(b)) return a.or(() -> b).orElse("-");
        return a.get() + "→" + b.get();
    }

    static void writeSummary(JsonGenerator g, CheckpointDiff d) throws IOException {
        g.writeObjectFieldStart("summary");
        g.writeNumberField("parameters", d.params().size());
        g.writeNumberField("changed", d.changed().size());
        for (ParamDiff.Status s :
                List.of(ParamDiff.Status.ADDED, ParamDiff.Status.REMOVED, ParamDiff.Status.MODIFIED)) {
            g.writeNumberField(s.label(), d.count(s));
        }
        g.writeNumberField("changedElements", d.changedElements());
        g.writeNumberField("totalElements", d.totalElements());
        g.writeNumberField("storedBytes", d.storedBytes());
        g.writeNumberField("moved", d.moved());
        g.writeBooleanField("skeletonChanged", d.skeletonChanged());
        g.writeEndObject();
    }

    static void writeParam(JsonGenerator g, ParamDiff p) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", p.name());
        g.writeStringField("status", p.status().label());
        Optional<String> shard = p.after().or(p::before).flatMap(ParamInfo::shard);
        if (shard.isPresent()) {
            g.writeStringField("shard", shard.get());
            g.writeBooleanField("moved", p.moved());
        }
        writeSide(g, "before", p.before());
        writeSide(g, "after", p.after());
        g.writeNumberField("changedElements", p.changedElements());
        Optional<DeltaStats> s = p.stats();
        writeReal(g, "l2", s.map(DeltaStats::l2));
        writeReal(g, "maxAbs", s.map(DeltaStats::maxAbs));
        writeReal(g, "relative", s.map(DeltaStats::relative));
        writeReal(g, "cosine", s.map(DeltaStats::cosine));
        g.writeEndObject();
    }

    private static void writeSide(JsonGenerator g, String field, Optional<ParamInfo> side) throws IOException {
        if (side.isEmpty()) {
            g.writeNullField(field);
            return;
        }
        ParamInfo i = side.get();
        g.writeObjectFieldStart(field);
        writeInfoFields(g, i);
        g.writeEndObject();
    }

    /** dtype, shape (array), numel, update and storedBytes (null for a working-tree file). */
    static void writeInfoFields(JsonGenerator g, ParamInfo i) throws IOException {
        g.writeStringField("dtype", i.dtype().toString());
        g.writeArrayFieldStart("shape");
        for (long d : i.shape().dims()) g.writeNumber(d);
        g.writeEndArray();
        g.writeNumberField("numel", i.numel());
        g.writeStringField("update", i.update().orElse(null));
        if (i.storedBytes().isPresent())
            g.writeNumberField("storedBytes", i.storedBytes().get());
        else g.writeNullField("storedBytes");
        if (i.shard().isPresent()) g.writeStringField("shard", i.shard().get());
    }

    /** JSON has no NaN or infinity: those, and absent statistics, are null. */
    private static void writeReal(JsonGenerator g, String field, Optional<Double> v) throws IOException {
        if (v.isEmpty() || !Double.isFinite(v.get())) g.writeNullField(field);
        else g.writeNumberField(field, v.get());
    }
}
