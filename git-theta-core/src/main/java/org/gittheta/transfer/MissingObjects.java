package org.gittheta.transfer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.MissingObjectException;
import org.gittheta.store.ObjectStore;

/** Fetch on demand: what checkout, merge and diff do when a manifest needs objects the local store lacks. */
public final class MissingObjects {
    private final ObjectStore store;
    private final Optional<ObjectSource> remote;

    /** @param remote where missing objects come from; empty: only the local store counts */
    public MissingObjects(ObjectStore store, Optional<ObjectSource> remote) {
        this.store = store;
        this.remote = remote;
    }

    /**
     * Fetches, in one batch, every object the manifest needs that the local store lacks.
     * @param file names the manifest in messages
     * @throws IOException naming the file and parameter of the first object still missing
     */
    public void ensurePresent(String file, Manifest manifest) throws IOException {
        Set<ObjectRef> missing = new LinkedHashSet<>();
        for (ParamEntry p : manifest.params()) {
            for (ObjectRef ref : p.objects()) if (!store.contains(ref.id())) missing.add(ref);
        }
        if (missing.isEmpty()) return;
        if (remote.isPresent()) remote.get().fetch(new ArrayList<>(missing), store);
        for (ParamEntry p : manifest.params()) {
            for (ObjectRef ref : p.objects()) {
                if (!store.contains(ref.id())) {
                    String where = remote.map(r -> "not in the local store nor in " + r.describe())
                            .orElse("not in the local store and no remote is configured");
                    throw new IOException(file + ": parameter '" + p.name() + "': "
                            + new MissingObjectException(ref.id(), where).getMessage());
                }
            }
        }
    }
}
