package org.gittheta.store;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many more bytes the store may write: what the file system has ({@link #UNLIMITED}), or a budget that runs out
 * as a full disk does, so that tests can fill the disk at any byte of any write.
 */
@FunctionalInterface
public interface DiskSpace {
    /** The message the operating system gives for {@code ENOSPC}. */
    String FULL = "No space left on device";

    DiskSpace UNLIMITED = bytes -> {};

    /**
     * Takes {@code bytes} from what is left, or fails as a write to a full disk does.
     * @throws IOException {@link #FULL}, when fewer bytes are left
     */
    void take(long bytes) throws IOException;

    /** A disk that holds {@code bytes} more bytes of the store's writes, then is full. */
    static DiskSpace budget(long bytes) {
        AtomicLong left = new AtomicLong(bytes);
        return n -> {
            if (left.addAndGet(-n) < 0) throw new IOException(FULL);
        };
    }

    /** {@code out}, each write taken from this space first. */
    default OutputStream limit(Path file, OutputStream out) {
        if (this == UNLIMITED) return out;
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                take(1);
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                take(len);
                out.write(b, off, len);
            }
        };
    }

    /**
     * A failed write of {@code file} as one line naming it when the disk is full. The JDK reports {@code ENOSPC} as
     * a bare "No space left on device", without the file; a {@link DiskFullException} (from a write below) is kept.
     */
    public static IOException explained(Path file, IOException e) {
        if (e instanceof DiskFullException) return e;
        String m = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        return m != null && m.contains(FULL) ? new DiskFullException(file, FULL, e) : e;
    }
}
