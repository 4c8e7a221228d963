package org.gittheta.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Content-addressed objects named as Git LFS names them, {@code <theta>/objects/ab/cd/<sha256>}, so that a Git LFS
 * server can hold them, but in git-theta's own directory, where {@code git lfs prune} does not look. Every write goes
 * to a temporary file in {@code <theta>/tmp}, then is renamed into place: a crash leaves at worst a stray temporary
 * file, never a half-written object. Objects this process encodes are made durable together by {@link #sync()}
 * (forced a few at a time, or by one {@code syncfs} when there are thousands); so are objects received from a
 * Git LFS server ({@link #putFile}), while objects copied from a stream ({@link #put}) are fsynced before the rename.
 *
 * <p>Repositories made before the store moved keep their objects in {@code <git>/lfs/objects}. An object asked for
 * by id (ids come from manifests, so it is ours) and found only there is adopted: hard-linked into our directory
 * ({@code link(2)} is atomic and fails if another process linked it first), copied where links are impossible.
 * git-lfs's directory is only ever read, so none of its objects is moved or removed.
 */
public final class ObjectStore {
    private static final long VERIFY_CHUNK = 1L << 30;
    private final Path storeDir;
    private final Path objectsDir;
    private final Path tmpDir;
    private final Optional<Path> legacyObjectsDir;
    private final DiskSpace space;
    /** Objects written since the last {@link #sync()}, not yet known to be on disk. */
    private final ConcurrentLinkedQueue<Path> unsynced = new ConcurrentLinkedQueue<>();

    private final AtomicLong tempCounter = new AtomicLong();

    /** A store with no older store beside it. */
    public ObjectStore(Path storeDir) {
        this(storeDir, Optional.empty());
    }

    /**
     * @param storeDir        where objects, temporary files and objects moved aside live
     * @param legacyObjectsDir a read-only older store whose objects are adopted on first use
     */
    public ObjectStore(Path storeDir, Optional<Path> legacyObjectsDir) {
        this(storeDir, legacyObjectsDir, DiskSpace.UNLIMITED);
    }

    /** @param space what the store's writes may use: the file system's own limit, or a test's budget */
    public ObjectStore(Path storeDir, Optional<Path> legacyObjectsDir, DiskSpace space) {
        this.storeDir = storeDir;
        this.objectsDir = storeDir.resolve("objects");
        this.tmpDir = storeDir.resolve("tmp");
        this.legacyObjectsDir = legacyObjectsDir;
        this.space = space;
    }

    /** The store of a Git directory: {@code <commonDir>/theta}, adopting objects of {@code <commonDir>/lfs}. */
    public static ObjectStore inGitDir(Path commonDir) {
        return new ObjectStore(
                commonDir.resolve("theta"), Optional.of(commonDir.resolve("lfs").resolve("objects")));
    }

    public Path storeDir() {
        return storeDir;
    }

    public Path objectsDir() {
        return objectsDir;
    }

    public Path tmpDir() {
        return tmpDir;
    }

    /** Where {@code fsck} moves corrupt objects, so that a later fetch can write an intact copy. */
    public Path badDir() {
        return storeDir.resolve("bad");
    }

    /** Where the manifests of work-tree files are cached by their stat (see {@code convert.StatCache}). */
    public Path statCacheDir() {
        return storeDir.resolve("stat-cache");
    }

    /** Where values already stored are indexed by their hash (see {@code update.ValueIndex}). */
    public Path valuesDir() {
        return storeDir.resolve("values");
    }

    public Path pathOf(ObjectId id) {
        // ObjectId checks this already; checked again where an id becomes a path, so that no id can leave the store.
        if (!ObjectId.isValid(id.hex()))
            throw new IllegalArgumentException("object id '" + id.hex() + "' is not 64 lowercase hex digits");
        return objectsDir.resolve(id.relativePath());
    }

    public boolean contains(ObjectId id) {
        return Files.isRegularFile(pathOf(id)) || adoptLegacy(id);
    }

    /**
     * Marks a stored object as just used, as writing it again would ({@link #install}), so that gc keeps it; false if
     * the store lacks it.
     */
    public boolean freshen(ObjectId id) throws IOException {
        if (!contains(id)) return false;
        Path ours = pathOf(id);
        if (!Files.isRegularFile(ours)) return true; // the old store's read-only copy, which gc never removes
        try {
            Files.setLastModifiedTime(ours, FileTime.from(Instant.now()));
            return true;
        } catch (NoSuchFileException e) {
            return false; // a gc took it meanwhile
        }
    }

    /** The file holding the object's bytes: ours, or the old store's when it could not be adopted. */
    public Path readableFile(ObjectId id) {
        Path ours = pathOf(id);
        if (Files.isRegularFile(ours) || !adoptLegacy(id) || Files.isRegularFile(ours)) return ours;
        return legacyObjectsDir.orElseThrow().resolve(id.relativePath());
    }

    /**
     * Links (or copies) an object of the old store into ours; false if the old store does not have it. An
     * adoption that fails (a read-only store) is not an error: the old file is then read where it is.
     */
    private boolean adoptLegacy(ObjectId id) {
        if (legacyObjectsDir.isEmpty()) return false;
        Path old = legacyObjectsDir.get().resolve(id.relativePath());
        if (!Files.isRegularFile(old)) return false;
        Path target = pathOf(id);
        try {
            Files.createDirectories(target.getParent());
            try {
                Files.createLink(target, old);
            } catch (UnsupportedOperationException | FileSystemException e) {
                copyIn(old, target);
            }
        } catch (IOException e) {
            // another process adopted it first (the file exists), or we cannot write: read the old copy
        }
        return true;
    }

    private void copyIn(Path old, Path target) throws IOException {
        Path tmp = newTempFile();
        try {
            Files.copy(old, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether the object is present and its bytes hash to its id: a corrupt copy counts as absent. */
    public boolean containsIntact(ObjectId id) throws IOException {
        if (!contains(id)) return false;
        try {
            verify(id);
            return true;
        } catch (CorruptObjectException | MissingObjectException e) {
            return false;
        }
    }

    public long size(ObjectId id) throws IOException {
        try {
            return Files.size(readableFile(id));
        } catch (NoSuchFileException e) {
            throw new MissingObjectException(id, "not in " + objectsDir);
        }
    }

    /**
     * Writes the bytes {@code body} produces as an object and returns its id; a copy already present (intact or
     * not) is replaced by the new one, atomically. The object is durable once {@link #sync()} has returned.
     */
    public ObjectId write(Body body) throws IOException {
        Path tmp =
                tmpDir.resolve("obj-" + ProcessHandle.current().pid() + "-" + tempCounter.incrementAndGet() + ".tmp");
        try {
            MessageDigest sha = sha256();
            try (FileChannel ch = createTemp(tmp)) {
                OutputStream out = space.limit(tmp, AtomicFile.buffered(ch));
                body.writeTo(new DigestOutputStream(out, sha));
                out.flush();
            } catch (IOException e) {
                throw DiskSpace.explained(tmp, e);
            }
            ObjectId id = ObjectId.fromDigest(sha.digest());
            Path target = pathOf(id);
            // the bytes hash to the id: whatever file is there (intact, corrupt, or hard-linked from elsewhere) can be
            // replaced by them, and the replacement is as fresh as an add needs it to be for gc
            moveInto(tmp, target);
            toSync(target);
            return id;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A new temporary file, open for writing; its name is this process's, so no other writer can hold it. */
    private FileChannel createTemp(Path tmp) throws IOException {
        OpenOption[] options = {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
        try {
            return FileChannel.open(tmp, options);
        } catch (NoSuchFileException e) {
            Files.createDirectories(tmpDir);
            return FileChannel.open(tmp, options);
        } catch (FileAlreadyExistsException e) {
            // left by a killed process that had our pid: it is stale
            Files.delete(tmp);
            return FileChannel.open(tmp, options);
        }
    }

    /**
     * Makes every object {@link #write} stored since the last call durable: each forced with its directories, or for
     * thousands of objects one {@code syncfs} of the store's file system ({@link FileSystemSync}). Callers sync
     * before they hand out a manifest naming the objects (the clean's answer to Git, a merge result).
     */
    public void sync() throws IOException {
        List<Path> written = new ArrayList<>();
        for (Path p; (p = unsynced.poll()) != null; ) written.add(p);
        FileSystemSync.sync(objectsDir, written);
    }

    /**
     * Adds an object received from elsewhere, checking that its bytes hash to {@code expected}; a corrupt copy
     * already at its path is replaced.
     */
    public void put(ObjectId expected, InputStream in) throws IOException {
        Path tmp = newTempFile();
        try {
            MessageDigest sha = sha256();
            try {
                AtomicFile.writeSynced(tmp, out -> in.transferTo(new DigestOutputStream(space.limit(tmp, out), sha)));
            } catch (IOException e) {
                throw DiskSpace.explained(tmp, e);
            }
            ObjectId actual = ObjectId.fromDigest(sha.digest());
            if (!actual.equals(expected)) {
                throw new CorruptObjectException(expected, "received bytes hash to " + actual);
            }
            install(tmp, expected);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Adds a file received from elsewhere, in this store's file system, as object {@code expected} without copying
     * it or reading it again: {@code received} is the SHA-256 of its bytes, which the receiver computed as they
     * landed. It is renamed into place when that is {@code expected}, and left where it was when it is not or when
     * an intact copy is present already (the caller deletes it). Like a {@link #write}, the object is durable once
     * {@link #sync()} has returned: a fetch of thousands of objects syncs once, not each.
     */
    public void putFile(ObjectId expected, ObjectId received, Path file) throws IOException {
        if (!received.equals(expected)) {
            throw new CorruptObjectException(expected, "received bytes hash to " + received);
        }
        if (install(file, expected)) toSync(pathOf(expected));
    }

    /** An object for the next {@link #sync()}, whose pages the disk can start writing now. */
    private void toSync(Path object) {
        unsynced.add(object);
        FileSystemSync.startWriteback(object);
    }

    private static MemorySegment mapReadOnly(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /** Maps an object read-only for the lifetime of {@code arena}. */
    public MemorySegment map(ObjectId id, Arena arena) throws IOException {
        try {
            return mapReadOnly(readableFile(id), arena);
        } catch (NoSuchFileException e) {
            throw new MissingObjectException(id, "not in " + objectsDir);
        }
    }

    /** Re-hashes an object's bytes: the check fsck and downloads make. */
    public void verify(ObjectId id) throws IOException {
        ObjectId actual;
        try (Arena arena = Arena.ofConfined()) {
            actual = digest(map(id, arena));
        }
        if (!actual.equals(id)) throw new CorruptObjectException(id, "its bytes hash to " + actual);
    }

    private static ObjectId digest(MemorySegment bytes) {
        MessageDigest sha = sha256();
        // a ByteBuffer holds at most 2 GiB, and one parameter's object can be larger
        for (long at = 0; at < bytes.byteSize(); at += VERIFY_CHUNK) {
            sha.update(bytes.asSlice(at, Math.min(VERIFY_CHUNK, bytes.byteSize() - at))
                    .asByteBuffer());
        }
        return ObjectId.fromDigest(sha.digest());
    }

    /**
     * Moves a corrupt object out of the store into {@link #badDir()}, as {@code git lfs fsck} does, so that a later
     * fetch or add writes an intact copy; returns where it went.
     */
    public Path moveAside(ObjectId id) throws IOException {
        Files.createDirectories(badDir());
        Path to = badDir().resolve(id.hex());
        Files.move(pathOf(id), to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return to;
    }

    public Path newTempFile() throws IOException {
        try {
            return Files.createTempFile(tmpDir, "obj", ".tmp");
        } catch (NoSuchFileException e) {
            Files.createDirectories(tmpDir);
            return Files.createTempFile(tmpDir, "obj", ".tmp");
        }
    }

    /**
     * Removes temporary files of writes that were interrupted (a process killed during an add, say): those in
     * {@link #tmpDir()} last modified before {@code cutoff}, which is asked for only when there are any. Costs one
     * directory listing when there are none. Returns how many were removed.
     */
    public int removeStaleTemps(Supplier<Instant> cutoff) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tmpDir)) {
            for (Path f : dir) files.add(f);
        } catch (NoSuchFileException e) {
            return 0;
        }
        if (files.isEmpty()) return 0;
        Instant before = cutoff.get();
        int removed = 0;
        for (Path f : files) {
            try {
                if (Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS)
                                .toInstant()
                                .isBefore(before)
                        && Files.deleteIfExists(f)) removed++;
            } catch (NoSuchFileException e) {
                // its writer finished meanwhile
            }
        }
        return removed;
    }

    /**
     * Renames the verified {@code tmp} to the object's path. A file already there is kept only if it hashes to
     * {@code id}: otherwise a damaged store could never be repaired by writing or fetching the object again. Returns
     * whether it renamed (false: an intact copy was there, and was only freshened).
     */
    private boolean install(Path tmp, ObjectId id) throws IOException {
        Path target = pathOf(id);
        if (containsIntact(id)) {
            // freshened as git freshens objects it would write: gc keeps what is younger than the prune age, and
            // an add that reuses an object nothing referenced yet must not lose it to a gc running meanwhile
            Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
            return false;
        }
        moveInto(tmp, target);
        return true;
    }

    /** Renames {@code tmp} to {@code target}, replacing it atomically: readers see the old inode or the new one. */
    private static void moveInto(Path tmp, Path target) throws IOException {
        try {
            move(tmp, target);
        } catch (NoSuchFileException e) {
            if (!Files.exists(tmp)) throw e;
            Files.createDirectories(target.getParent()); // the first object of its ab/cd directory
            move(tmp, target);
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename into " + target + " atomically: " + e.getMessage(), e);
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Produces an object's bytes. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }
}
