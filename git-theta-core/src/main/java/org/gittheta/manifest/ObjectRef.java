package org.gittheta.manifest;

import org.gittheta.store.ObjectId;

/** A stored object and its size in bytes, as a Git LFS pointer names one. */
public record ObjectRef(ObjectId id, long size) {
    public ObjectRef {
        if (size < 0) throw new IllegalArgumentException("object " + id + ": size " + size + " is negative");
    }

    @Override
    public String toString() {
        return id.hex() + ":" + size;
    }
}
