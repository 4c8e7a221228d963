package org.gittheta.transfer;

import java.io.IOException;
import java.util.Collection;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.ObjectStore;

/** Somewhere objects can come from when the local store lacks them: another repository, a Git LFS server. */
public interface ObjectSource {
    /** Copies the given objects into {@code into}; objects the source does not have are left out, not an error. */
    void fetch(Collection<ObjectRef> objects, ObjectStore into) throws IOException;

    /** A short name for messages: the remote's URL or path. */
    String describe();
}
