package org.gittheta.store;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

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
     * Replaces {@code target} (or creates it) with the content, given these permissions if any, else the replaced
     * file's, else those of a new file under the umask.
     */
    public static void replace(Path target, Content content, Optional<Set<PosixFilePermission>> permissions)
            throws IOException {
        replace(target, content, permissions, true);
    }

    /**
     * Replaces {@code target} with {@code bytes} without forcing them to disk: for cache entries, which a power
     * failure may lose or leave empty (their readers validate them); a crash of the process still leaves the old
     * file or the new one.
     */
    public static void replaceCacheEntry(Path target, byte[] bytes) throws IOException {
        replaceCacheEntry(target, out -> out.write(bytes));
    }

    /** The same with the content written to a stream. */
    public static void replaceCacheEntry(Path target, Content content) throws IOException {
        replace(target, content, Optional.empty(), false);
    }

    /**
     * Replaces {@code target} with the content without forcing it to disk, as Git writes work-tree files: a killed
     * process still leaves the old file or the new one.
     */
    public static void replaceWorkTreeFile(Path target, Content content, Optional<Set<PosixFilePermission>> permissions)
            throws IOException {
        replace(target, content, permissions, false);
    }

    private static void replace(
            Path target, Content content, Optional<Set<PosixFilePermission>> permissions, boolean durable)
            throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp;
        try {
            tmp = newTemp(abs);
        } catch (NoSuchFileException e) {
            Files.createDirectories(abs.getParent());
            tmp = newTemp(abs);
        }
        try {
            write(tmp, content, durable, target);
            Optional<Set<PosixFilePermission>> mode = permissions.isPresent() || !Files.exists(abs)
                    ? permissions
                    : Optional.of(Files.getPosixFilePermissions(abs));
            if (mode.isPresent()) Files.setPosixFilePermissions(tmp, mode.get());
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty file beside {@code target}. Not {@link Files#createTempFile}: its mode 0600 would become the
     * target's (a .gitattributes others cannot read); created plainly, it has 0666 less the umask, as git's files.
     */
    private static Path newTemp(Path target) throws IOException {
        while (true) {
            Path tmp = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp); // O_EXCL: never a file or link that is there
            } catch (FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    /** The content into the temporary file for {@code target}: a full disk is reported naming the target. */
    private static void write(Path tmp, Content content, boolean durable, Path target) throws IOException {
        try {
            if (durable) {
                writeSynced(tmp, content);
                return;
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                content.writeTo(out);
            }
        } catch (IOException e) {
            throw DiskSpace.explained(target, e); // the JDK's "No space left on device" names no file
        }
    }

    /** Writes the content into an existing (temporary) file and forces it to disk. */
    public static void writeSynced(Path file, Content content) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = buffered(ch);
            content.writeTo(out);
            out.flush();
            ch.force(false);
        }
    }

    /** A buffered stream into the channel; closing the stream flushes it and leaves the channel open. */
    static OutputStream buffered(FileChannel ch) {
        return new BufferedOutputStream(
                new FilterOutputStream(Channels.newOutputStream(ch)) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        this.out.write(b, off, len);
                    }

                    // the channel is closed by its owner
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                },
                1 << 16);
    }
}
