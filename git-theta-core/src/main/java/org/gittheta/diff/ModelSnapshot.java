package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.format.BadCheckpointException;

/**
 * A sharded model as one version: the parameters of all its shard files, each marked with the shard that holds it.
 * A parameter's shard is where the shard's own content puts it (the index only says which files form the model).
 */
public final class ModelSnapshot implements Snapshot {
    private final Map<String, Snapshot> shards;
    private final SortedMap<String, ParamInfo> params = new TreeMap<>();
    private final Map<String, Snapshot> owner = new HashMap<>();

    /**
     * @param index  the index's path, for messages
     * @param shards each shard file's name (as the index writes it) and its version; closed with this snapshot
     * @throws BadCheckpointException when two shards hold the same parameter (the caller then closes the shards)
     */
    public ModelSnapshot(String index, SortedMap<String, Snapshot> shards) throws BadCheckpointException {
        this.shards = shards;
        for (var shard : shards.entrySet()) {
            for (ParamInfo p : shard.getValue().params().values()) {
                Snapshot other = owner.putIfAbsent(p.name(), shard.getValue());
                if (other != null) {
                    throw new BadCheckpointException(
                            index,
                            p.name(),
                            "is in two shards, " + params.get(p.name()).shard().orElseThrow() + " and "
                                    + shard.getKey());
                }
                params.put(p.name(), p.inShard(shard.getKey()));
            }
        }
    }

    @Override
    public SortedMap<String, ParamInfo> params() {
        return Collections.unmodifiableSortedMap(params);
    }

    @Override
    public String sha256(String name) throws IOException {
        return shardOf(name).sha256(name);
    }

    @Override
    public InputStream open(String name) throws IOException {
        return shardOf(name).open(name);
    }

    /** None: a shard's own bytes besides values are not compared (each shard's diff compares them). */
    @Override
    public Optional<Skeleton> skeleton() {
        return Optional.empty();
    }

    private Snapshot shardOf(String name) {
        Snapshot s = owner.get(name);
        if (s == null) throw new IllegalArgumentException("no parameter '" + name + "' in this version");
        return s;
    }

    @Override
    public void close() {
        shards.values().forEach(Snapshot::close);
    }
}
