package org.gittheta.repo;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.format.ShardIndex;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;

/**
 * One version of a sharded checkpoint: its index and the manifest of each shard file it names.
 *
 * @param shards shard file name (as the index writes it) → that file's manifest
 */
public record ShardedModel(ShardIndex index, SortedMap<String, Manifest> shards) {
    public ShardedModel {
        shards = Collections.unmodifiableSortedMap(new TreeMap<>(shards));
    }

    /** A parameter with the shard that holds it. */
    public record Param(String shard, ParamEntry entry) {}

    /** Every parameter of the model, sorted by name. */
    public SortedMap<String, Param> params() {
        SortedMap<String, Param> all = new TreeMap<>();
        shards.forEach((shard, m) -> m.params().forEach(p -> all.put(p.name(), new Param(shard, p))));
        return all;
    }

    /** Bytes of the whole checkpoint: every shard file's size (the index not counted). */
    public long fileSize() {
        return shards.values().stream().mapToLong(Manifest::fileSize).sum();
    }
}
