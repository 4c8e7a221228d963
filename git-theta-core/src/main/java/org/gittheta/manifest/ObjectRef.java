package org.gittheta.manifest;

import org.gittheta.store.ObjectId;

/** A stored object and its size in bytes, as a Git LFS pointer names one. */
public record ObjectRef(ObjectId id, long size) {
    @Override public String toString() { return id.hex() + ":" + size; }

    static ObjectRef parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("object '" + text + "' is not <sha256>:<size>");
        return new ObjectRef(new ObjectId(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
    }
}
