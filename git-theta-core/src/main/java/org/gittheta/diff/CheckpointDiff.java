package org.gittheta.diff;

import java.util.List;

/**
 * Every parameter of two versions of one checkpoint, sorted by name, unchanged ones included.
 * @param skeletonChanged whether both versions exist and their bytes besides the values differ ({@link Skeleton}):
 *     a header's metadata, the layout, padding; in a PyTorch zip also the CRC-32s of changed values
 */
public record CheckpointDiff(List<ParamDiff> params, boolean skeletonChanged) {
    public CheckpointDiff {
        params = List.copyOf(params);
    }

    /** Whether the file differs: a parameter, or the bytes besides them. */
    public boolean fileChanged() {
        return skeletonChanged || params.stream().anyMatch(p -> p.changed() || p.moved());
    }

    public List<ParamDiff> changed() {
        return params.stream().filter(ParamDiff::changed).toList();
    }

    /** Parameters that changed, or moved to another shard file: what a diff lists by default. */
    public List<ParamDiff> changedOrMoved() {
        return params.stream().filter(p -> p.changed() || p.moved()).toList();
    }

    public long moved() {
        return params.stream().filter(ParamDiff::moved).count();
    }

    public long count(ParamDiff.Status status) {
        return params.stream().filter(p -> p.status() == status).count();
    }

    public long changedElements() {
        return params.stream().mapToLong(ParamDiff::changedElements).sum();
    }

    public long totalElements() {
        return params.stream().mapToLong(ParamDiff::elements).sum();
    }

    /** Bytes the newer version added to the store: the objects of its changed parameters. */
    public long storedBytes() {
        return params.stream()
                .filter(ParamDiff::changed)
                .mapToLong(p -> p.after().flatMap(ParamInfo::storedBytes).orElse(0L))
                .sum();
    }
}
