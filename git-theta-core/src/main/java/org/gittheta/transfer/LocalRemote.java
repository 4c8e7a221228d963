package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.ObjectStore;

/**
 * Another repository on this machine (a path or a {@code file://} URL), bare or not: objects are read
 * straight from its {@code lfs/objects} and verified on the way in.
 */
public final class LocalRemote implements ObjectSource {
    private final ObjectStore remote;
    private final String description;

    private LocalRemote(ObjectStore remote, String description) {
        this.remote = remote;
        this.description = description;
    }

    /** @param gitDir the remote's git directory ({@code repo/.git}, or the bare repository itself) */
    public static LocalRemote of(Path gitDir) {
        return new LocalRemote(new ObjectStore(gitDir.resolve("lfs")), gitDir.toString());
    }

    public ObjectStore store() { return remote; }

    @Override public void fetch(Collection<ObjectRef> objects, ObjectStore into) throws IOException {
        for (ObjectRef ref : objects) {
            if (into.contains(ref.id()) || !remote.contains(ref.id())) continue;
            try (InputStream in = Files.newInputStream(remote.pathOf(ref.id()))) {
                into.put(ref.id(), in);
            }
        }
    }

    @Override public String describe() { return description; }
}
