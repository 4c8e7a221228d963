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
 * straight from its store ({@code theta/objects}, or the older {@code lfs/objects}) and verified on the way in;
 * pushed objects are copied there and verified on the way. Copies, not hard links: the two repositories share no
 * inode, so damage to one copy never reaches the other. A corrupt copy on either side is replaced by an intact one,
 * never spread.
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
            try (InputStream in = Files.newInputStream(remote.readableFile(ref.id()))) {
                into.put(ref.id(), in);
            } catch (CorruptObjectException e) {
                throw new IOException(
                        description + " holds a corrupt copy: " + e.getMessage() + "; it was not stored", e);
            }
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
            // copied, never hard-linked: a link would share one inode, so a byte flipped in one repository's copy
            // would damage the other's too; the copy is hashed on the way and replaces a corrupt one there
            try (InputStream in = Files.newInputStream(from.readableFile(ref.id()))) {
                remote.put(ref.id(), in);
            } catch (CorruptObjectException e) {
                throw new IOException(
                        "not pushing to " + description + ": object " + ref.id().hex()
                                + " is corrupt in the local store; restore it with 'git theta fetch' from a remote "
                                + "that has it intact",
                        e);
            }
            sent++;
        }
        return sent;
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
