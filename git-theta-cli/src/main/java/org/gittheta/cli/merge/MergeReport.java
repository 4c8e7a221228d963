package org.gittheta.cli.merge;

import java.io.PrintStream;
import java.util.Locale;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamReport;

/** What a merge did with one checkpoint, for people: every parameter not unchanged, then counts. */
final class MergeReport {
    private MergeReport() {}

    static void print(PrintStream out, String heading, MergeResult result) {
        out.println(heading);
        for (ParamReport p : result.params()) {
            if (p.action() == ParamReport.Action.UNCHANGED) continue;
            out.printf(
                    "  %-9s %s%s%n",
                    p.action().name().toLowerCase(Locale.ROOT),
                    p.name(),
                    p.detail().isEmpty() ? "" : "  (" + p.detail() + ")");
        }
        StringBuilder summary = new StringBuilder("  ");
        for (ParamReport.Action a : ParamReport.Action.values()) {
            if (summary.length() > 2) summary.append(", ");
            summary.append(result.count(a)).append(' ').append(a.name().toLowerCase(Locale.ROOT));
        }
        out.println(summary);
        out.println("  " + result.count(ParamReport.Action.MERGED) + " through the formula, "
                + (result.count(ParamReport.Action.OURS) + result.count(ParamReport.Action.THEIRS))
                + " taken from one side");
    }
}
