package org.gittheta.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes through a memory mapping cannot return an error: a page the file system cannot back (a full disk, a file
 * truncated underneath) raises SIGBUS, which the JVM turns into an {@link InternalError} with a long stack trace.
 * Code that writes into a mapped temporary file catches it and reports it as this one line instead.
 */
public final class MappedWrites {
    private MappedWrites() {}

    /**
     * The I/O failure a fault while writing the mapping of {@code file} stands for.
     * @throws InternalError {@code e} itself when it is not a fault of a memory access
     */
    public static IOException failed(Path file, InternalError e) {
        if (!isFault(e)) throw e;
        return new DiskFullException(file, "a write to its memory mapping failed", e);
    }

    /** Whether {@code e} is the JVM's report of a fault of a memory access (SIGBUS), not another internal error. */
    public static boolean isFault(InternalError e) {
        return e.getMessage() != null && e.getMessage().contains("fault occurred");
    }
}
