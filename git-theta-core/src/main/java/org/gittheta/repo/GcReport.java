package org.gittheta.repo;

import java.util.List;

/**
 * What {@code gc} removed (or, in a dry run, would remove).
 * @param keptYoung unreferenced objects kept because they are younger than the prune age
 */
public record GcReport(boolean dryRun, List<Removed> objects, List<Removed> tempFiles, int keptYoung) {
    public GcReport {
        objects = List.copyOf(objects);
        tempFiles = List.copyOf(tempFiles);
    }

    /** Why an object may go. */
    public enum Reason {
        /** nothing reachable uses it */
        UNREACHABLE,
        /** only old versions use it, and the remote confirmed it holds a copy */
        ON_REMOTE,
        /** a temporary file older than the cutoff: an interrupted write */
        STALE_TEMP
    }

    public record Removed(String name, long bytes, Reason reason) {}

    public long objectBytes() {
        return objects.stream().mapToLong(Removed::bytes).sum();
    }

    public long tempBytes() {
        return tempFiles.stream().mapToLong(Removed::bytes).sum();
    }
}
