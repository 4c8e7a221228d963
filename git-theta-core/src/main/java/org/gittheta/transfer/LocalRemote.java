package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.MissingObjectException;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * Another repository on this machine (a path or a {@code file://} URL), bare or not: objects are read
 * straight from its store ({@code theta/objects}, or the older {@code lfs/objects}). Fetched and pushed objects are
 * verified, then hard-linked into the other store when both are on one file system (objects never change once
 * written; {@code git clone --local} links Git's objects the same way), copied otherwise. A corrupt copy on either
 * side is replaced by an intact one, never spread.
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
        return new LocalRemote(ObjectStore.inGitDir(gitDir), gitDir.toString());
    }

    public ObjectStore store() {
        return remote;
    }

    @Override
    public void fetch(Collection<ObjectRef> objects, ObjectStore into) throws IOException {
        for (ObjectRef ref : objects) {
            if (!remote.contains(ref.id()) || into.containsIntact(ref.id())) continue;
            try {
                remote.verify(ref.id());
            } catch (CorruptObjectException e) {
                throw new IOException(
                        description + " holds a corrupt copy: " + e.getMessage() + "; it was not stored", e);
            }
            linkOrCopy(remote.readableFile(ref.id()), into, ref.id());
        }
    }

    @Override
    public int push(Collection<ObjectRef> objects, ObjectStore from) throws IOException {
        int sent = 0;
        for (ObjectRef ref : objects) {
            if (remote.containsIntact(ref.id())) continue;
            if (!from.contains(ref.id())) {
                throw new MissingObjectException(
                        ref.id(),
                        "must be pushed to " + description
                                + " but is missing locally; fetch it first ('git theta fetch --all')");
            }
            try {
                from.verify(ref.id());
            } catch (CorruptObjectException e) {
                throw new IOException(
                        "not pushing to " + description + ": " + e.getMessage()
                                + " in the local store; restore it with 'git theta fetch' from a remote "
                                + "that has it intact",
                        e);
            }
            linkOrCopy(from.readableFile(ref.id()), remote, ref.id());
            sent++;
        }
        return sent;
    }

    /** Puts the verified object file {@code source} into {@code to}: a hard link, as {@code git clone --local} does. */
    private static void linkOrCopy(Path source, ObjectStore to, ObjectId id) throws IOException {
        Path target = to.pathOf(id);
        Files.createDirectories(target.getParent());
        try {
            Files.createLink(target, source); // atomic: the object appears whole or not at all
        } catch (IOException | UnsupportedOperationException e) {
            // another file system, or a corrupt copy in the way: copy, verifying on the way and replacing it
            try (InputStream in = Files.newInputStream(source)) {
                to.put(id, in);
            }
        }
    }

    @Override
    public Set<ObjectId> holding(Collection<ObjectRef> objects) throws IOException {
        Set<ObjectId> held = new HashSet<>();
        for (ObjectRef ref : objects) {
            if (remote.containsIntact(ref.id())) held.add(ref.id());
        }
        return held;
    }

    @Override
    public String describe() {
        return description;
    }
}
