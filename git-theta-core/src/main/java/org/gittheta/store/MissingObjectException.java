package org.gittheta.store;

import java.io.IOException;

/** An object a manifest needs is neither in the local store nor obtainable from a remote. */
public final class MissingObjectException extends IOException {
    private final ObjectId id;

    public MissingObjectException(ObjectId id, String detail) {
        super("object " + id + " is missing" + (detail.isEmpty() ? "" : " (" + detail + ")"));
        this.id = id;
    }

    public ObjectId id() {
        return id;
    }
}
