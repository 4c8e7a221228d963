package org.gittheta.store;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * Files that are there whole or not at all: content goes to a temporary file on the same file system,
 * is fsynced, then renamed into place atomically. A crash leaves the old file or the new one, never a mix.
 */
public final class AtomicFile {
    /** What is written into the temporary file; the stream is buffered, and closing it is allowed. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFile() {}

    /** Replaces {@code target} (or creates it) with {@code bytes}. */
    public static void replace(Path target, byte[] bytes) throws IOException {
        replace(target, out -> out.write(bytes), Optional.empty());
    }

    /**
     * Replaces {@code target} (or creates it) with {@code bytes} atomically for concurrent readers (a rename) but
     * without the fsync: for cache entries whose readers validate them whole and ignore what does not parse, so that
     * an entry a crash empties or loses costs only a recomputation, and storing a parameter pays one fsync (its
     * object's), not two.
     */
    public static void replaceCacheEntry(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Replaces {@code target} (or creates it) with the content, given these permissions if any. */
    public static void replace(Path target, Content content, Optional<Set<PosixFilePermission>> permissions)
            throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            writeSynced(tmp, content);
            if (permissions.isPresent()) Files.setPosixFilePermissions(tmp, permissions.get());
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the content into an existing (temporary) file and forces it to disk. */
    public static void writeSynced(Path file, Content content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = new BufferedOutputStream(
                    new FilterOutputStream(Channels.newOutputStream(ch)) {
                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            this.out.write(b, off, len);
                        }

                        // the channel is closed below, after the force
                        @Override
                        public void close() throws IOException {
                            flush();
                        }
                    },
                    1 << 16);
            content.writeTo(out);
            out.flush();
            ch.force(false);
        }
    }
}
