package org.gittheta.transfer;

import java.io.IOException;
import java.util.Collection;
import java.util.Set;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/** A remote that objects can also be sent to: another repository on disk, a Git LFS server. */
public interface ObjectRemote extends ObjectSource {
    /**
     * Sends the objects the remote lacks and returns how many were sent. An object the remote lacks that is
     * also missing from {@code from} is an error: the remote would end up with history it cannot check out.
     */
    int push(Collection<ObjectRef> objects, ObjectStore from) throws IOException;

    /**
     * Those of {@code objects} the remote confirms it holds: a Git LFS server offers to send them, a repository on
     * disk has an intact copy. What a local {@code gc --verify-remote} may drop.
     */
    Set<ObjectId> holding(Collection<ObjectRef> objects) throws IOException;
}
