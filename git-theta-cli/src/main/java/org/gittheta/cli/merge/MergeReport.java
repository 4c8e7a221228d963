package org.gittheta.cli.merge;

import java.io.PrintStream;
import java.util.Locale;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamReport;
import org.gittheta.text.Printable;

/**
 * What a merge did with one checkpoint, for people: every parameter not unchanged, then counts. Paths and names are
 * shown through {@link Printable#escape(String)}.
 */
final class MergeReport {
    private MergeReport() {}

    static void print(PrintStream out, String heading, MergeResult result) {
        out.println(Printable.escape(heading));
        for (ParamReport p : result.params()) {
            if (p.action() == ParamReport.Action.UNCHANGED) continue;
            out.printf(
                    "  %-9s %s%n",
                    p.action().name().toLowerCase(Locale.ROOT),
                    Printable.escape(p.name() + (p.detail().isEmpty() ? "" : "  (" + p.detail() + ")")));
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

    /** The one line naming the parameters of {@code path} that conflicted. */
    static void printConflicts(PrintStream out, String path, MergeResult result) {
        out.println(Printable.escape("git-theta: CONFLICT (parameters) in " + path + ": "
                + String.join(
                        ", ", result.conflicts().stream().map(ParamReport::name).toList())));
    }
}
