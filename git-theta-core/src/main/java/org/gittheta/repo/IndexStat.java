package org.gittheta.repo;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Puts the stat data of work-tree files git-theta wrote itself into their index entries, as Git's refresh would
 * after re-cleaning them, so that Git knows them unchanged without reading them through the filter again (for a
 * checkpoint: Git holding the whole file in memory and a new filter process answering).
 *
 * <p>Written by hand, not through JGit: JGit's {@code DirCacheEntry} cannot set ctime, device, inode, uid or gid,
 * which Git compares, so Git would re-clean every entry JGit refreshed. Only the 40 bytes of stat data of matching
 * entries change, in place: entry lengths, the index version (2, 3 or 4), optional extensions (cached trees,
 * untracked cache, fsmonitor, end-of-index and entry-offset tables) and their offsets stay as they were. An index with
 * a mandatory extension this does not know (split index {@code link}, sparse directories {@code sdir}), a bad
 * checksum, a lock held by another process, or an entry that no longer names the blob that was written is left
 * alone: those paths go to Git's own refresh.
 *
 * <p>Racy git: Git trusts an entry's stat data only when the file's mtime is older than the index file's, compared
 * in whole seconds unless Git was built with {@code USE_NSEC} (Debian's git is not). So the index is written only
 * once the clock has passed the second of the last file's mtime; a later change of a file moves its mtime into a
 * newer second and Git sees it. The other entries that were racy under the index read (their mtime not older than
 * its) are smudged as Git smudges them when it writes an index (size 0): the newer index would otherwise vouch for
 * files that may have changed within that second.
 */
final class IndexStat {
    /** Margin over the file system's coarse clock, which may lag the system clock by a timer tick. */
    private static final long TICK_MILLIS = 20;

    private static final byte[] SIGNATURE = "DIRC".getBytes(StandardCharsets.US_ASCII);
    private static final int STAT_BYTES = 40;
    private static final int MTIME_OFFSET = 8;
    private static final int MODE_OFFSET = 24;
    private static final int SIZE_OFFSET = 36;
    private static final int REGULAR_FILE = 0100644;
    private static final int STAGE_MASK = 0x3000;
    private static final int EXTENDED = 0x4000;
    private static final int SKIP_WORKTREE = 0x4000;
    private static final int ASSUME_VALID = 0x8000;
    private static final int FILE_TYPE = 0170000;
    private static final int GITLINK = 0160000;

    private IndexStat() {}

    /** What Git's index keeps of a file's stat ({@code struct stat_data}); each field is cut to 32 bits there. */
    record FileStat(long ctimeNanos, long mtimeNanos, long dev, long ino, int uid, int gid, long size) {
        /** The file's stat; empty when it is not a regular file or the file system keeps no such attributes. */
        static Optional<FileStat> of(Path file) throws IOException {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(
                        file,
                        "unix:ctime,lastModifiedTime,dev,ino,uid,gid,size,isRegularFile",
                        LinkOption.NOFOLLOW_LINKS);
            } catch (UnsupportedOperationException e) {
                return Optional.empty();
            }
            if (!Boolean.TRUE.equals(a.get("isRegularFile"))) return Optional.empty();
            return Optional.of(new FileStat(
                    nanos(a.get("ctime")),
                    nanos(a.get("lastModifiedTime")),
                    (Long) a.get("dev"),
                    (Long) a.get("ino"),
                    (Integer) a.get("uid"),
                    (Integer) a.get("gid"),
                    (Long) a.get("size")));
        }

        private static long nanos(Object time) {
            return ((FileTime) time).to(TimeUnit.NANOSECONDS);
        }

        void writeTo(ByteBuffer entry, int at) {
            entry.putInt(at, (int) Math.floorDiv(ctimeNanos, 1_000_000_000L));
            entry.putInt(at + 4, (int) Math.floorMod(ctimeNanos, 1_000_000_000L));
            entry.putInt(at + 8, (int) Math.floorDiv(mtimeNanos, 1_000_000_000L));
            entry.putInt(at + 12, (int) Math.floorMod(mtimeNanos, 1_000_000_000L));
            entry.putInt(at + 16, (int) dev);
            entry.putInt(at + 20, (int) ino);
            // the mode at +24 stays the index's
            entry.putInt(at + 28, uid);
            entry.putInt(at + 32, gid);
            entry.putInt(at + SIZE_OFFSET, (int) size);
        }
    }

    /** A work-tree file holding the content of {@code blob} (raw id): written from it, or known unchanged; its stat. */
    record Written(String path, Path file, byte[] blob, FileStat stat) {}

    /**
     * Records each file's stat in its stage-0 entry of {@code index} if the entry still names the file's blob, is a
     * regular non-executable file, and the file still has that stat; waits for the racy-git second first. The index
     * is left as it is when those entries already hold those stats and are not racy.
     * @param objectFormat the repository's {@code extensions.objectFormat} ({@code sha1} or {@code sha256})
     * @return the paths whose entries now hold their file's stat
     */
    static Set<String> record(Path index, String objectFormat, List<Written> files) throws IOException {
        if (files.isEmpty()) return Set.of();
        long newestSecond = files.stream()
                .mapToLong(w -> Math.floorDiv(w.stat().mtimeNanos(), 1_000_000_000L))
                .max()
                .getAsLong();
        awaitSecondAfter(newestSecond);
        Map<String, Written> byPath = new HashMap<>();
        for (Written w : files) byPath.put(w.path(), w);
        long indexSecond = Math.floorDiv(Files.getLastModifiedTime(index).toMillis(), 1000);
        byte[] read = Files.readAllBytes(index);
        byte[] patched = read.clone();
        Patch patch = patch(patched, digest(objectFormat), byPath, indexSecond);
        if (!patch.rewrite()) return patch.done(); // those entries already hold their file's stat, and Git trusts it
        Set<String> done = patch.done();
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(index); // core.sharedRepository's
        // the lock is held only to see that the index is still the one read and to put the new one in place: a
        // process killed while it holds the lock leaves it behind, as a killed git does
        Path lock = index.resolveSibling(index.getFileName() + ".lock");
        try {
            Files.createFile(lock);
        } catch (FileAlreadyExistsException e) {
            return Set.of(); // another git process is writing it: Git's refresh will wait or say so
        }
        boolean renamed = false;
        try {
            if (!Arrays.equals(Files.readAllBytes(index), read)) return Set.of(); // changed meanwhile: Git's refresh
            Files.write(lock, patched, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.setPosixFilePermissions(lock, permissions);
            long lockSecond = Math.floorDiv(Files.getLastModifiedTime(lock).to(TimeUnit.NANOSECONDS), 1_000_000_000L);
            if (lockSecond <= newestSecond) return Set.of(); // a clock that went back: trust Git's refresh instead
            Files.move(lock, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            return done;
        } finally {
            if (!renamed) Files.deleteIfExists(lock);
        }
    }

    /**
     * The entries that now hold their file's stat, and whether the index must be written for that: an entry's stat
     * changed, or it was racy.
     */
    private record Patch(Set<String> done, boolean rewrite) {
        static final Patch NONE = new Patch(Set.of(), false);
    }

    /**
     * Patches the entries in place and smudges the others that are racy under an index of {@code indexSecond}; none
     * (and the bytes unusable) when the index is not one this can edit.
     */
    private static Patch patch(byte[] bytes, MessageDigest digest, Map<String, Written> files, long indexSecond)
            throws IOException {
        int hashLength = digest.getDigestLength();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int end = bytes.length - hashLength;
        if (end < 12 || !Arrays.equals(bytes, 0, 4, SIGNATURE, 0, 4)) return Patch.NONE;
        int version = b.getInt(4);
        if (version < 2 || version > 4) return Patch.NONE;
        byte[] trailer = Arrays.copyOfRange(bytes, end, bytes.length);
        boolean hashed = !Arrays.equals(trailer, new byte[hashLength]); // index.skipHash leaves zeros
        digest.update(bytes, 0, end);
        if (hashed && !Arrays.equals(digest.digest(), trailer)) return Patch.NONE;

        Set<String> done = new HashSet<>();
        boolean rewrite = false;
        int count = b.getInt(8);
        int at = 12;
        byte[] previous = new byte[0];
        for (int i = 0; i < count; i++) {
            int flagsAt = at + STAT_BYTES + hashLength;
            if (flagsAt + 2 > end) return Patch.NONE;
            int flags = Short.toUnsignedInt(b.getShort(flagsAt));
            int nameAt = flagsAt + 2;
            boolean skipWorktree = false; // Git does not look at the file of such an entry, nor of an assumed-valid one
            if (version >= 3 && (flags & EXTENDED) != 0) {
                skipWorktree = (Short.toUnsignedInt(b.getShort(nameAt)) & SKIP_WORKTREE) != 0;
                nameAt += 2;
            }
            byte[] name;
            int next;
            if (version == 4) {
                // the name is a varint (bytes to strip from the previous name) and a NUL-terminated suffix
                if (nameAt >= end) return Patch.NONE;
                int c = bytes[nameAt++] & 0xff;
                long strip = c & 0x7f;
                while ((c & 0x80) != 0) {
                    if (nameAt >= end || strip > Integer.MAX_VALUE) return Patch.NONE;
                    c = bytes[nameAt++] & 0xff;
                    strip = ((strip + 1) << 7) | (c & 0x7f);
                }
                int nul = nul(bytes, nameAt, end);
                if (nul < 0 || strip > previous.length) return Patch.NONE;
                int keep = previous.length - (int) strip;
                name = Arrays.copyOf(previous, keep + nul - nameAt);
                System.arraycopy(bytes, nameAt, name, keep, nul - nameAt);
                next = nul + 1;
            } else {
                int nul = nul(bytes, nameAt, end);
                if (nul < 0) return Patch.NONE;
                name = Arrays.copyOfRange(bytes, nameAt, nul);
                next = at + ((nameAt - at + name.length + 8) & ~7); // 1 to 8 NULs pad the entry to 8 bytes
            }
            Written w = files.get(new String(name, StandardCharsets.UTF_8));
            boolean racy = Integer.toUnsignedLong(b.getInt(at + MTIME_OFFSET)) >= indexSecond;
            if (w != null
                    && (flags & STAGE_MASK) == 0
                    && !skipWorktree
                    && b.getInt(at + MODE_OFFSET) == REGULAR_FILE
                    && w.blob().length == hashLength
                    && Arrays.equals(bytes, at + STAT_BYTES, at + STAT_BYTES + hashLength, w.blob(), 0, hashLength)
                    && !Files.getPosixFilePermissions(w.file()).contains(PosixFilePermission.OWNER_EXECUTE)
                    && FileStat.of(w.file()).equals(Optional.of(w.stat()))) {
                byte[] before = Arrays.copyOfRange(bytes, at, at + STAT_BYTES);
                w.stat().writeTo(b, at);
                done.add(w.path());
                rewrite |= racy || !Arrays.equals(bytes, at, at + STAT_BYTES, before, 0, STAT_BYTES);
            } else if (racy
                    && (b.getInt(at + MODE_OFFSET) & FILE_TYPE) != GITLINK
                    && (flags & ASSUME_VALID) == 0
                    && !skipWorktree) {
                b.putInt(at + SIZE_OFFSET, 0); // Git then compares the file's content before it trusts the entry again
            }
            previous = name;
            at = next;
        }
        for (int ext = at; ext < end; ) {
            if (ext + 8 > end) return Patch.NONE;
            byte first = bytes[ext];
            if (first < 'A' || first > 'Z') return Patch.NONE; // a mandatory extension: Git alone knows what it implies
            ext += 8 + b.getInt(ext + 4);
        }
        if (hashed) {
            digest.reset();
            digest.update(bytes, 0, end);
            System.arraycopy(digest.digest(), 0, bytes, end, hashLength);
        }
        return new Patch(done, rewrite);
    }

    private static int nul(byte[] bytes, int from, int end) {
        for (int i = from; i < end; i++) if (bytes[i] == 0) return i;
        return -1;
    }

    private static MessageDigest digest(String objectFormat) throws IOException {
        try {
            return MessageDigest.getInstance(objectFormat.equals("sha256") ? "SHA-256" : "SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    /** Sleeps until the file system's clock is surely in a second after {@code second} (seconds since the epoch). */
    private static void awaitSecondAfter(long second) throws IOException {
        long wait = (second + 1) * 1000 + TICK_MILLIS - System.currentTimeMillis();
        if (wait <= 0) return;
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the index to be newer than its files");
        }
    }
}
