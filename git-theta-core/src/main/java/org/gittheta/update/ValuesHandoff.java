package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectStore;

/**
 * Values one process computed and the next one writes out: a merge leaves each merged parameter's values here, and
 * the checkout of the merged checkpoint that follows (git's smudge, or {@code git theta merge} writing the file)
 * copies them instead of decoding the delta the merge has just stored, a second decode of every model's chain.
 *
 * <p>A file {@code <store>/handoff/<sha256>} holds a header (magic, version, length of the values), the values, and
 * their CRC32C. A file that does not check is removed, and the values are decoded from the store as always: this is
 * only a shortcut, never the values' one copy. Files are removed once taken; any left (a merge whose result was
 * never checked out) are removed by gc, as stale temporary files are.
 */
public final class ValuesHandoff {
    private static final int MAGIC = 0x47544856; // "GTHV"
    private static final int VERSION = 1;
    private static final int HEADER = 16; // magic, version, length of the values
    private static final int TRAILER = 4; // CRC32C of the values
    /** Room kept free beyond the values and the checkpoint written from them. */
    private static final long SPARE = 1L << 30;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Path dir;

    private ValuesHandoff(Path dir) {
        this.dir = dir;
    }

    /** The store's handoff directory. */
    public static ValuesHandoff of(ObjectStore store) {
        return new ValuesHandoff(store.storeDir().resolve("handoff"));
    }

    /** Where the files are: what gc looks through for stale ones. */
    public Path dir() {
        return dir;
    }

    /**
     * Whether the file system has room for {@code bytes} of values left here and, after them, a checkpoint of as
     * many bytes written from them, with a gibibyte to spare: the shortcut must not be what fills the disk.
     */
    public boolean hasRoomFor(long bytes) {
        try {
            Files.createDirectories(dir);
            return Files.getFileStore(dir).getUsableSpace() - SPARE >= 2 * bytes;
        } catch (IOException e) {
            return false;
        }
    }

    /** Leaves the values whose SHA-256 is {@code sha256}; a failure (a full disk, say) only loses the shortcut. */
    public void leave(String sha256, MemorySegment values) {
        Path target = dir.resolve(sha256);
        Path tmp = dir.resolve(sha256 + "." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().threadId());
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                writeFully(
                        ch,
                        ByteBuffer.allocate(HEADER)
                                .putInt(MAGIC)
                                .putInt(VERSION)
                                .putLong(values.byteSize()));
                ByteBuffer body = values.asByteBuffer();
                CRC32C crc = new CRC32C();
                crc.update(body.duplicate());
                writeFully(ch, body);
                writeFully(ch, ByteBuffer.allocate(TRAILER).putInt((int) crc.getValue()));
            }
            // no fsync: a file torn by a crash fails its check and the values are decoded from the store
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // what gc removes
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        b.rewind();
        while (b.hasRemaining()) ch.write(b);
    }

    /** The hashes of the values left here: one directory listing, none at all in the usual case of no directory. */
    Set<String> available() {
        Set<String> hashes = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.length() == 64) hashes.add(name);
            }
        } catch (IOException e) {
            // none, or none readable: decode
        }
        return hashes;
    }

    /** Values taken for a parameter: mapped, checked, and their checksum. */
    record Taken(Path file, MemorySegment values, int crc32c) {}

    /**
     * The values left for {@code entry}, mapped into {@code arena} and checked against their length and checksum;
     * empty when there are none or the file does not check (then it is removed).
     */
    Optional<Taken> take(ParamEntry entry, Arena arena) {
        Path file = dir.resolve(entry.sha256());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == HEADER + entry.byteSize() + TRAILER) {
                MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                MemorySegment values = all.asSlice(HEADER, entry.byteSize());
                CRC32C crc = new CRC32C();
                crc.update(values.asByteBuffer());
                int recorded = all.get(INT, size - TRAILER);
                if (all.get(INT, 0) == MAGIC
                        && all.get(INT, 4) == VERSION
                        && all.get(LONG, 8) == entry.byteSize()
                        && (int) crc.getValue() == recorded) {
                    return Optional.of(new Taken(file, values, recorded));
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty(); // taken by another parameter with the same values
        } catch (IOException e) {
            // unreadable: decode, and remove it below
        }
        remove(file);
        return Optional.empty();
    }

    /** Removes a file once its values are written, or when it does not check. */
    static void remove(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // what gc removes
        }
    }
}
