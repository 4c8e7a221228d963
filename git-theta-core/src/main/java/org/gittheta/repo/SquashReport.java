package org.gittheta.repo;

import java.util.List;

/** What {@code squash} did, per checkpoint. */
public record SquashReport(List<File> files) {
    public SquashReport {
        files = List.copyOf(files);
    }

    /**
     * @param squashed       parameters now stored directly that were deltas
     * @param maxDepthBefore the longest chain before
     * @param valueBytes     raw bytes of the squashed parameters' values
     * @param writtenBytes   bytes of the objects written for them (objects already stored count too)
     * @param releasedBytes  bytes of the objects the staged version no longer names: gc can collect them once no
     *                       commit, reflog or index uses them either
     */
    public record File(
            String path, int squashed, int maxDepthBefore, long valueBytes, long writtenBytes, long releasedBytes) {}
}
