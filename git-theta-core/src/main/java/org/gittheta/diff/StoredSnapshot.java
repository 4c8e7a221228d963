package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectStore;
import org.gittheta.update.ParamDecoder;

/** A committed or staged version: a manifest, whose values the object store decodes on demand. */
public final class StoredSnapshot implements Snapshot {
    private final Map<String, ParamEntry> entries;
    private final SortedMap<String, ParamInfo> params = new TreeMap<>();
    private final ParamDecoder decoder;
    private final Optional<Skeleton> skeleton;

    public StoredSnapshot(Manifest manifest, ObjectStore store) {
        this(manifest, store, true);
    }

    private StoredSnapshot(Manifest manifest, ObjectStore store, boolean exists) {
        this.skeleton = exists
                ? Optional.of(new Skeleton(manifest.format(), manifest.fileSize(), manifest.skeleton()))
                : Optional.empty();
        this.entries = manifest.byName();
        this.decoder = new ParamDecoder(store);
        for (ParamEntry p : manifest.params()) {
            params.put(
                    p.name(),
                    new ParamInfo(
                            p.name(), p.dtype(), p.shape(), Optional.of(p.update()), Optional.of(p.storedBytes())));
        }
    }

    /** The side of a diff where the checkpoint does not exist. */
    public static StoredSnapshot absent(ObjectStore store) {
        return new StoredSnapshot(new Manifest("safetensors", new byte[0], 0, List.of()), store, false);
    }

    @Override
    public SortedMap<String, ParamInfo> params() {
        return Collections.unmodifiableSortedMap(params);
    }

    @Override
    public String sha256(String name) {
        return entry(name).sha256();
    }

    @Override
    public InputStream open(String name) throws IOException {
        return decoder.open(entry(name));
    }

    @Override
    public Optional<Skeleton> skeleton() {
        return skeleton;
    }

    private ParamEntry entry(String name) {
        ParamEntry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException("no parameter '" + name + "' in this version");
        return e;
    }
}
