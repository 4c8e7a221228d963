package org.gittheta.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.AtomicFile;
import org.gittheta.store.ObjectStore;

/**
 * The manifest a work-tree file cleaned to, keyed by the file's identity and stat, so that Git re-cleaning a file
 * that has not changed (the racy-index check, an index rebuilt, the refresh after {@code git theta checkout}) is
 * answered without reading the values again. One small file per entry, written atomically; an entry is used only
 * when every stat field still matches, and recorded under a stat only for files whose last change is older than
 * {@link #SETTLED_NANOS}, so that a later write within the same timestamp tick cannot share its key.
 *
 * <p>Each entry is also kept under the file's path: a file whose stat changed but whose content did not (touched,
 * copied back, checked out again) is recognised by its {@link ContentSums}, read memory-mapped, which costs a small
 * fraction of a clean; its manifest is then answered and recorded under the new stat.
 */
public final class StatCache {
    /** Longer than any file-system timestamp tick (jiffies, coarse clocks) and a little clock skew. */
    static final long SETTLED_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);

    private static final int MAX_ENTRIES = 4096;
    private static final String MAGIC = "git-theta stat-cache ";
    private static final int VERSION = 2;
    private static final String PATH_KEY_PREFIX = "path-";

    /** A file's identity and stat: any change of content moves at least ctime. */
    public record Stat(long device, long inode, long size, long mtimeNanos, long ctimeNanos) {
        String line() {
            return device + " " + inode + " " + size + " " + mtimeNanos + " " + ctimeNanos;
        }

        String entryName() {
            return sha256Hex(line().getBytes(StandardCharsets.US_ASCII));
        }

        /** Whether the file's last change is old enough that nothing written from now on can keep this stat. */
        boolean settled() {
            return System.currentTimeMillis() * 1_000_000L - Math.max(mtimeNanos, ctimeNanos) > SETTLED_NANOS;
        }
    }

    private final Path dir;
    private final ObjectStore store;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong fullCleans = new AtomicLong();

    public StatCache(ObjectStore store) {
        this.dir = store.statCacheDir();
        this.store = store;
    }

    /** The file's stat, empty if it is not a regular file (or the file system keeps no inode numbers). */
    public static Optional<Stat> stat(Path file) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(
                    file, "unix:dev,ino,size,lastModifiedTime,ctime,isRegularFile", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            return Optional.empty();
        }
        if (!Boolean.TRUE.equals(a.get("isRegularFile"))) return Optional.empty();
        return Optional.of(new Stat(
                (Long) a.get("dev"),
                (Long) a.get("ino"),
                (Long) a.get("size"),
                nanos(a.get("lastModifiedTime")),
                nanos(a.get("ctime"))));
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }

    /** How many cleans this process answered from the cache, and how many it had to do in full. */
    public record Counts(long cached, long full) {}

    public Counts counts() {
        return new Counts(hits.get(), fullCleans.get());
    }

    /**
     * The manifest the work-tree file cleaned to when it last had the stat it has now, else when it last had the
     * content it has now (its path's entry and content sums); read only.
     */
    public Optional<byte[]> recorded(Path file) throws IOException {
        return find(file, false);
    }

    /** {@link #recorded}, parsed; empty too for an entry that no longer parses (no answer: the file must be read). */
    public Optional<Manifest> recordedManifest(Path file) throws IOException {
        Optional<byte[]> cleaned = recorded(file);
        try {
            return cleaned.isEmpty() ? Optional.empty() : Optional.of(Manifest.parse(cleaned.get()));
        } catch (ManifestException e) {
            return Optional.empty();
        }
    }

    /**
     * {@link #recorded}, and a file found by its content is recorded under its stat, as a clean answered from it
     * would be: the next look finds it without reading it.
     */
    public Optional<byte[]> recognised(Path file) throws IOException {
        return find(file, true);
    }

    private Optional<byte[]> find(Path file, boolean recordFoundByContent) throws IOException {
        Optional<Stat> stat = stat(file);
        if (stat.isEmpty()) return Optional.empty();
        Optional<Entry> entry = lookup(stat.get());
        if (entry.isPresent()) return Optional.of(entry.get().manifest());
        entry = lookupByContent(file, stat.get());
        if (entry.isEmpty() || !stat(file).equals(stat)) return Optional.empty(); // changed while its sums were taken
        if (recordFoundByContent)
            record(file, stat.get(), entry.get().sums(), entry.get().manifest());
        return Optional.of(entry.get().manifest());
    }

    /**
     * Points the entry of the work-tree file, as it is now, at {@code manifest} when its recorded manifest passes
     * {@code replaces}: the file's bytes are the same, only how they are stored changed (squash), so that a later
     * clean answers the new manifest.
     */
    public void rerecord(Path file, Predicate<byte[]> replaces, byte[] manifest) throws IOException {
        Optional<Stat> stat = stat(file);
        if (stat.isEmpty()) return;
        Optional<Entry> entry = lookup(stat.get());
        if (entry.isPresent() && replaces.test(entry.get().manifest())) {
            record(file, stat.get(), entry.get().sums(), manifest);
        }
    }

    /** What a file of this stat and content cleaned to. */
    private record Entry(Stat stat, ContentSums sums, byte[] manifest) {}

    /** The entry recorded for exactly this stat. */
    private Optional<Entry> lookup(Stat stat) throws IOException {
        return read(dir.resolve(stat.entryName())).filter(e -> e.stat().equals(stat));
    }

    /**
     * The entry last recorded for this file under another stat, if the file's content is still the one it
     * describes: same length, same sums.
     */
    private Optional<Entry> lookupByContent(Path file, Stat stat) throws IOException {
        Optional<Entry> entry = read(pathKey(file)).filter(e -> e.sums().size() == stat.size());
        if (entry.isEmpty() || !entry.get().sums().equals(ContentSums.of(file))) return Optional.empty();
        return entry;
    }

    private Path pathKey(Path file) {
        String path = "path " + file.toAbsolutePath().normalize();
        return dir.resolve(PATH_KEY_PREFIX + sha256Hex(path.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * An entry file, if it is of this version, intact, and its manifest describes a file of the recorded size:
     * {@code git-theta stat-cache 2 <dev> <ino> <size> <mtime> <ctime> <crc32c> <crc32> <sha256 of manifest>},
     * a newline, the manifest.
     */
    private static Optional<Entry> read(Path entryFile) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(entryFile);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        byte[] magic = (MAGIC + VERSION + " ").getBytes(StandardCharsets.US_ASCII);
        int nl = indexOf(bytes, (byte) '\n');
        if (nl < magic.length || !Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length)) {
            return Optional.empty(); // another version's entry is a miss, replaced when the file is next recorded
        }
        String[] f = new String(bytes, magic.length, nl - magic.length, StandardCharsets.US_ASCII).split(" ");
        byte[] manifest = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        if (f.length != 8 || !f[7].equals(sha256Hex(manifest))) return Optional.empty();
        try {
            Stat stat = new Stat(
                    Long.parseLong(f[0]),
                    Long.parseLong(f[1]),
                    Long.parseLong(f[2]),
                    Long.parseLong(f[3]),
                    Long.parseLong(f[4]));
            ContentSums sums = new ContentSums(
                    stat.size(), Integer.parseUnsignedInt(f[5], 16), Integer.parseUnsignedInt(f[6], 16));
            return describesFileOf(manifest, stat.size())
                    ? Optional.of(new Entry(stat, sums, manifest))
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether the bytes are a manifest of a file of this size (not a manifest that was itself cleaned, say). */
    private static boolean describesFileOf(byte[] manifest, long size) {
        try {
            return Manifest.looksLike(manifest, manifest.length) && Manifest.fileSizeOf(manifest) == size;
        } catch (ManifestException e) {
            return false;
        }
    }

    /**
     * Records what a file holds once written (by {@code git theta checkout}, or by Git from a smudge's output), with
     * the sums of the content as it was written: under its path only, where a later clean finds it after computing
     * the file's sums, so that a change since it was written, or a smudge Git did not write there, is never answered
     * with it. Such an entry has no stat of its own: it is found by content alone.
     */
    public void recordWritten(Path file, ContentSums written, byte[] manifest) throws IOException {
        write(new Stat(0, 0, written.size(), 0, 0), written, manifest, List.of(pathKey(file)));
    }

    /**
     * Records what a file of this stat and content cleaned to, under its path and, once settled, under its stat: an
     * entry found by path is used only for the same content sums, so it needs no settled stat.
     */
    private void record(Path file, Stat stat, ContentSums sums, byte[] manifest) throws IOException {
        write(
                stat,
                sums,
                manifest,
                stat.settled() ? List.of(dir.resolve(stat.entryName()), pathKey(file)) : List.of(pathKey(file)));
    }

    private void write(Stat stat, ContentSums sums, byte[] manifest, List<Path> keys) throws IOException {
        Files.createDirectories(dir);
        byte[] header = (MAGIC + VERSION + " " + stat.line() + " " + Integer.toHexString(sums.crc32c()) + " "
                        + Integer.toHexString(sums.crc32()) + " " + sha256Hex(manifest) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (Path key : keys) {
            // not forced to disk: an entry a power failure loses or leaves torn is a miss (read checks it), and
            // forcing it would commit the journal, which waits for the file just renamed into the work tree (ext4
            // writes a file renamed over another before the rename commits): 0.7 s for a gigabyte
            AtomicFile.replaceCacheEntry(key, out -> {
                out.write(header);
                out.write(manifest);
            });
        }
        trim();
    }

    /** A clean that does the work: content in, manifest out. */
    @FunctionalInterface
    public interface Clean {
        CleanResult clean(InputStream content, OutputStream out) throws IOException;
    }

    /**
     * Clean of the work-tree file {@code file} whose content Git streams in: answered from the cache when it knows
     * the file (by its stat, else by its path and content sums), else by {@code full}, whose result is then
     * recorded. A cached answer is given only after the content has been drained and checked (the recorded size
     * and CRC32C) and the file's stat taken again. A file changed while it was streamed is cleaned in full as it is
     * now; content that does not match while the file is unchanged is not the file's (e.g.
     * {@code git hash-object --path}), and as it is consumed it is refused.
     */
    public CleanResult clean(Path file, InputStream content, OutputStream out, Clean full) throws IOException {
        Optional<Stat> before = stat(file);
        if (before.isEmpty()) return cleanAndRecord(file, before, content, out, full);
        Optional<Entry> entry = lookup(before.get());
        boolean byContent = entry.isEmpty();
        if (byContent) entry = lookupByContent(file, before.get());
        if (entry.isEmpty() || !objectsKept(entry.get().manifest())) {
            return cleanAndRecord(file, before, content, out, full);
        }
        CheckedInputStream in = new CheckedInputStream(content, new CRC32C());
        long read = in.transferTo(OutputStream.nullOutputStream());
        boolean same = read == before.get().size()
                && (int) in.getChecksum().getValue() == entry.get().sums().crc32c();
        Optional<Stat> after = stat(file);
        if (!after.equals(before)) {
            try (InputStream now = Files.newInputStream(file)) {
                return cleanAndRecord(file, after, now, out, full);
            }
        }
        if (!same) {
            throw new IOException(file.getFileName() + ": the content to clean is not the unchanged working file "
                    + "of that name; clean it under another path");
        }
        hits.incrementAndGet();
        if (byContent)
            record(file, before.get(), entry.get().sums(), entry.get().manifest()); // found by stat next
        out.write(entry.get().manifest());
        return CleanResult.SPLIT; // what it was stored as was said when it was cleaned
    }

    /**
     * Whether the store still holds every object the recorded manifest names, each freshened as a clean storing it
     * would: a gc may have taken them since (the file staged, unstaged, then gc), and the answer would then stage a
     * manifest whose values are lost.
     */
    private boolean objectsKept(byte[] manifest) throws IOException {
        try {
            for (ObjectRef ref : Manifest.parse(manifest).objects()) {
                if (!store.freshen(ref.id())) return false;
            }
            return true;
        } catch (ManifestException e) {
            return false;
        }
    }

    /**
     * Clean in full whatever the cache knows of the file (the user asked for another storage of the same content),
     * recording the result, so that git's later re-clean of the unchanged file gives this manifest back.
     */
    public CleanResult cleanAfresh(Path file, InputStream content, OutputStream out, Clean full) throws IOException {
        return cleanAndRecord(file, stat(file), content, out, full);
    }

    private CleanResult cleanAndRecord(
            Path file, Optional<Stat> before, InputStream content, OutputStream out, Clean full) throws IOException {
        fullCleans.incrementAndGet();
        CountingCrc in = new CountingCrc(content);
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        CleanResult result = full.clean(in, manifest);
        byte[] bytes = manifest.toByteArray();
        out.write(bytes);
        if (before.isPresent()
                && in.count == before.get().size()
                && stat(file).equals(before)
                && describesFileOf(bytes, before.get().size())) {
            record(file, before.get(), in.sums(), bytes);
        }
        return result;
    }

    /** The content's length, CRC32C and CRC32, as the full clean reads it. */
    private static final class CountingCrc extends CheckedInputStream implements SegmentReads {
        private final CRC32 crc32 = new CRC32();
        /** For a stream that reads only into arrays. */
        private final byte[] scratch = new byte[1 << 16];

        long count;

        CountingCrc(InputStream in) {
            super(in, new CRC32C());
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
                crc32.update(b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count += n;
                crc32.update(buf, off, n);
            }
            return n;
        }

        @Override
        public int read(MemorySegment dst) throws IOException {
            int n = SegmentReads.read(in, dst, scratch);
            if (n > 0) {
                count += n;
                ByteBuffer read = dst.asSlice(0, n).asByteBuffer();
                getChecksum().update(read.duplicate());
                crc32.update(read);
            }
            return n;
        }

        ContentSums sums() {
            return new ContentSums(count, (int) getChecksum().getValue(), (int) crc32.getValue());
        }
    }

    private static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(ObjectStore.sha256().digest(bytes));
    }

    /** Keeps the directory bounded: the oldest entries go first. */
    private void trim() throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) entries.add(p);
        }
        if (entries.size() <= MAX_ENTRIES) return;
        List<Map.Entry<Path, Long>> aged = new ArrayList<>();
        for (Path p : entries) {
            try {
                aged.add(Map.entry(p, Files.getLastModifiedTime(p).toMillis()));
            } catch (NoSuchFileException e) {
                // trimmed by another process meanwhile
            }
        }
        aged.sort(Map.Entry.comparingByValue());
        for (int i = 0; i < aged.size() - MAX_ENTRIES * 3 / 4; i++)
            Files.deleteIfExists(aged.get(i).getKey());
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) if (bytes[i] == b) return i;
        return -1;
    }
}
