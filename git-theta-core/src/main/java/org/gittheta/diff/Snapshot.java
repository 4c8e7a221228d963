package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.SortedMap;

/** One version of a checkpoint, as a diff sees it: its parameters, their value hashes, and their values as a stream. */
public sealed interface Snapshot extends AutoCloseable permits StoredSnapshot, FileSnapshot, ModelSnapshot {
    /** The parameters by name. */
    SortedMap<String, ParamInfo> params();

    /** SHA-256 hex of a parameter's raw values: equal hashes mean equal values. May read the values to compute it. */
    String sha256(String name) throws IOException;

    /** The raw little-endian values of a parameter, streamed: never the whole checkpoint in memory. */
    InputStream open(String name) throws IOException;

    /** The file's bytes besides the values; empty where the checkpoint does not exist, or is a sharded model. */
    Optional<Skeleton> skeleton();

    /** Releases what the snapshot maps (a working-tree file); stored versions hold nothing. */
    @Override
    default void close() {}
}
