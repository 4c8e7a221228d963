package org.gittheta.diff;

import java.util.Optional;

/**
 * One parameter across two versions.
 *
 * @param stats how the values moved; present for a modified parameter whose element count did not change
 *              and whose dtypes have a numeric reading
 */
public record ParamDiff(
        String name, Status status, Optional<ParamInfo> before, Optional<ParamInfo> after, Optional<DeltaStats> stats) {
    public enum Status {
        ADDED,
        REMOVED,
        MODIFIED,
        UNCHANGED;

        /** Lower-case name, as printed and in JSON. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public boolean changed() {
        return status != Status.UNCHANGED;
    }

    /** Whether the parameter lives in another shard file than before (re-sharding), whatever its values did. */
    public boolean moved() {
        return before.isPresent()
                && after.isPresent()
                && !before.get().shard().equals(after.get().shard());
    }

    /** Elements that differ: all of an added or removed parameter, all of a modified one we cannot compare
     * element-wise. */
    public long changedElements() {
        return switch (status) {
            case UNCHANGED -> 0;
            case ADDED -> after.orElseThrow().numel();
            case REMOVED -> before.orElseThrow().numel();
            case MODIFIED ->
                stats.map(DeltaStats::changed)
                        .orElse(Math.max(
                                before.orElseThrow().numel(),
                                after.orElseThrow().numel()));
        };
    }

    /** Elements this parameter accounts for in totals: the newer side's, or the old one's if it was removed. */
    public long elements() {
        return after.or(() -> before).orElseThrow().numel();
    }
}
