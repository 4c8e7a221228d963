package org.gittheta.merge;

import java.util.Optional;

/** What the merge did with one parameter, for the report; a dry run adds figures for computed parameters. */
public record ParamReport(String name, Action action, String detail, Optional<ParamStats> stats) {
    public ParamReport(String name, Action action, String detail) {
        this(name, action, detail, Optional.empty());
    }

    public enum Action {
        /** Same on all sides. */
        UNCHANGED,
        /** Changed (or added) on ours only, or identically on both: kept. */
        OURS,
        /** Changed (or added) on theirs only: taken bit-exact. */
        THEIRS,
        /** Deleted on one side, unchanged on the other. */
        DELETED,
        /** Changed on both, a side chosen by a strategy or the non-float policy. */
        CHOSEN,
        /** Changed on both, values computed. */
        MERGED,
        /** Left for the user. */
        CONFLICT
    }
}
