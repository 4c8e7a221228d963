package org.gittheta.merge;

/** What the merge did with one parameter, for the report. */
public record ParamReport(String name, Action action, String detail) {
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
