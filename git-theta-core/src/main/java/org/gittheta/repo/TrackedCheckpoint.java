package org.gittheta.repo;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One version of a tracked checkpoint as {@code git theta status} and {@code ls-files} report it, read from its
 * manifest alone (no values are decoded). See docs/reliability.md for the meaning of each figure.
 *
 * @param version       {@code index}, or the commit (full id) whose tree holds this version
 * @param shardOf       the sharded checkpoint's {@code *.index.json} that names this file as a shard, if any
 * @param format        {@code safetensors}, {@code torch-zip}, {@code gguf}, {@code opaque} (stored whole), or
 *                      {@code sharded}: a whole sharded checkpoint under its index's path, the sum of its shards
 *                      listed beside it (in {@code status} and a commit's listing, not in the history's)
 * @param tensors       parameter entries in the manifest (0 for a file stored whole)
 * @param parameters    elements of all tensors (0 for a file stored whole)
 * @param storage       how many parameters each update kind stores ({@code dense}, {@code xor-delta}, ...)
 * @param lossy         parameters stored lossily (what the user asked for by name)
 * @param maxChainDepth the longest delta chain: 0 when every parameter is stored directly
 * @param newBytes      bytes of the distinct objects this version names that its parent version (the same path in
 *                      the first parent commit; for the index, in HEAD) does not name: what this version added
 * @param totalBytes    bytes of the distinct objects this version names, delta bases included: what checking it out
 *                      needs
 * @param status        for {@code status} only: the index against HEAD, the work tree against the index
 */
public record TrackedCheckpoint(
        String path,
        String version,
        Optional<String> shardOf,
        String format,
        int tensors,
        long parameters,
        long fileSize,
        SortedMap<String, Integer> storage,
        int lossy,
        int maxChainDepth,
        long newBytes,
        long totalBytes,
        Presence objects,
        Optional<Status> status) {
    public TrackedCheckpoint {
        storage = new TreeMap<>(storage);
    }

    /**
     * Where this version's objects are: every object counted once, delta bases included.
     * @param remoteOnly not in the local store, and the remote confirmed it holds them
     * @param missing    not in the local store and not on the remote (or no remote is configured)
     * @param unknown    not in the local store, and the remote was not asked or could not be reached
     */
    public record Presence(int count, int local, int remoteOnly, int missing, int unknown) {
        /** One word: {@code missing} if any is, else {@code unknown}, else {@code remote}, else {@code local}. */
        public String summary() {
            if (missing > 0) return "missing";
            if (unknown > 0) return "unknown";
            return remoteOnly > 0 ? "remote" : "local";
        }
    }

    public record Status(Staged staged, WorkTree workTree) {}

    /** The index's version against HEAD's. */
    public enum Staged {
        /** HEAD has no such path */
        NEW,
        /** the values or the file's layout differ */
        MODIFIED,
        /** the same file, stored differently (e.g. after squash) */
        STORAGE_ONLY,
        UNCHANGED,
        /** in a merge conflict: the index holds its sides, described by ours (theirs where ours deleted it) */
        UNMERGED;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The work-tree file against the index's version. */
    public enum WorkTree {
        UNMODIFIED,
        MODIFIED,
        DELETED,
        /** the file holds the manifest text (checked out with {@code GIT_THETA_SKIP_SMUDGE=1}) */
        NOT_CHECKED_OUT;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** What {@code status} and {@code ls-files} list, and the remote that was asked about objects not stored here. */
    public record Listing(
            List<TrackedCheckpoint> checkpoints, Optional<String> remote, Optional<String> remoteProblem) {
        public Listing {
            checkpoints = List.copyOf(checkpoints);
        }
    }
}
