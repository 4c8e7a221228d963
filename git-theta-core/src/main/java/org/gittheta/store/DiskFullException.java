package org.gittheta.store;

import java.io.IOException;
import java.nio.file.Path;

/** A write that failed because the disk is full, said in one line that names the file. */
public final class DiskFullException extends IOException {
    /** @param how what the failure looked like (the system's message, or a fault of a mapped write) */
    public DiskFullException(Path file, String how, Throwable cause) {
        super("the disk is full: cannot write " + file + " (" + how + "); nothing was stored from it", cause);
    }
}
