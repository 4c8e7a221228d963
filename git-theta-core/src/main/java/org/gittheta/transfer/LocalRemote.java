package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.MissingObjectException;
import org.gittheta.store.ObjectStore;

/**
 * Another repository on this machine (a path or a {@code file://} URL), bare or not: objects are read
 * straight from its {@code lfs/objects} and verified on the way in; pushed objects are hard-linked there
 * when both stores are on one file system (objects never change once written), copied otherwise.
 */
public final class LocalRemote implements ObjectRemote {
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

    @Override public int push(Collection<ObjectRef> objects, ObjectStore from) throws IOException {
        int sent = 0;
        for (ObjectRef ref : objects) {
            if (remote.contains(ref.id())) continue;
            if (!from.contains(ref.id())) {
                throw new MissingObjectException(ref.id(), "must be pushed to " + description
                        + " but is missing locally; fetch it first ('git theta fetch --all')");
            }
            Path source = from.pathOf(ref.id());
            Path target = remote.pathOf(ref.id());
            Files.createDirectories(target.getParent());
            try {
                Files.createLink(target, source); // atomic: the object appears whole or not at all
            } catch (FileAlreadyExistsException e) {
                continue; // pushed meanwhile by someone else
            } catch (IOException | UnsupportedOperationException e) {
                try (InputStream in = Files.newInputStream(source)) {
                    remote.put(ref.id(), in); // another file system: copy, verifying on the way
                }
            }
            sent++;
        }
        return sent;
    }

    @Override public String describe() { return description; }
}
