package org.gittheta.store;

import java.io.IOException;

/** A stored object whose bytes do not check out: wrong hash, bad checksum, or an unreadable header. */
public final class CorruptObjectException extends IOException {
    public CorruptObjectException(ObjectId id, String what) {
        super("object " + id + " is corrupt: " + what);
    }
}
