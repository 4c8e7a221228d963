package org.gittheta.cli.merge;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.gittheta.cli.Json;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamReport;
import org.gittheta.merge.ParamStats;
import org.gittheta.text.Printable;

/** What a dry run found per checkpoint and parameter, as text or JSON on stdout. */
final class DryRunReport {
    private final Map<String, MergeResult> files = new LinkedHashMap<>();

    void add(String path, MergeResult result) {
        files.put(path, result);
    }

    void printText(PrintStream out) {
        for (Map.Entry<String, MergeResult> f : files.entrySet()) {
            out.println(Printable.escape(f.getKey()) + ":");
            for (ParamReport p : f.getValue().params()) {
                if (p.action() == ParamReport.Action.UNCHANGED) continue;
                StringBuilder line = new StringBuilder(String.format("  %-9s %s", label(p), p.name()));
                if (!p.detail().isEmpty()) line.append("  (").append(p.detail()).append(')');
                p.stats()
                        .ifPresent(s -> line.append(String.format(
                                Locale.ROOT,
                                "  cos %.4f, sign conflicts %.4f, |tau| %s, |result| %.6g, |result - base| %.6g",
                                s.cosine(),
                                s.signConflicts(),
                                String.join(
                                        ",",
                                        s.tauNorms().stream()
                                                .map(v -> String.format(Locale.ROOT, "%.6g", v))
                                                .toList()),
                                s.resultNorm(),
                                s.resultTauNorm())));
                out.println(Printable.escape(line.toString()));
            }
        }
    }

    void printJson(PrintStream out, List<String> models, String base) throws IOException {
        try (JsonGenerator g = Json.to(out)) {
            g.writeStartObject();
            g.writeStringField("base", base);
            g.writeArrayFieldStart("models");
            for (String m : models) g.writeString(m);
            g.writeEndArray();
            g.writeArrayFieldStart("files");
            for (Map.Entry<String, MergeResult> f : files.entrySet()) {
                g.writeStartObject();
                g.writeStringField("path", f.getKey());
                g.writeArrayFieldStart("params");
                for (ParamReport p : f.getValue().params()) {
                    // as the text lists them: a checkpoint of 100,000 tensors names only those the merge touches
                    if (p.action() == ParamReport.Action.UNCHANGED) continue;
                    g.writeStartObject();
                    g.writeStringField("name", p.name());
                    g.writeStringField("path", label(p));
                    g.writeStringField("detail", p.detail());
                    if (p.stats().isPresent()) stats(g, p.stats().get());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.println();
    }

    private static void stats(JsonGenerator g, ParamStats s) throws IOException {
        number(g, "cosine", s.cosine());
        number(g, "signConflicts", s.signConflicts());
        g.writeArrayFieldStart("tauNorms");
        for (double v : s.tauNorms()) {
            if (Double.isFinite(v)) g.writeNumber(v);
            else g.writeNull();
        }
        g.writeEndArray();
        number(g, "resultNorm", s.resultNorm());
        number(g, "resultTauNorm", s.resultTauNorm());
    }

    /** JSON has no NaN: a figure that does not exist (no base) is null. */
    private static void number(JsonGenerator g, String field, double v) throws IOException {
        if (Double.isFinite(v)) g.writeNumberField(field, v);
        else g.writeNullField(field);
    }

    private static String label(ParamReport p) {
        return p.action() == ParamReport.Action.MERGED
                ? "formula"
                : p.action().name().toLowerCase(Locale.ROOT);
    }
}
