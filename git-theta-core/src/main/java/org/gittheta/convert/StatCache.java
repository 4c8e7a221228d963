package org.gittheta.convert;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
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
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.store.AtomicFile;
import org.gittheta.store.ObjectStore;

/**
 * The manifest a work-tree file cleaned to, keyed by the file's identity and stat, so that Git re-cleaning a file
 * that has not changed (the racy-index check, an index rebuilt, the refresh after {@code git theta checkout}) is
 * answered without reading the values again. One small file per entry, written atomically; an entry is used only
 * when every stat field still matches, and recorded only for files whose last change is older than
 * {@link #SETTLED_NANOS}, so that a later write within the same timestamp tick cannot share its key.
 */
public final class StatCache {
    /** Longer than any file-system timestamp tick (jiffies, coarse clocks) and a little clock skew. */
    static final long SETTLED_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);

    private static final int MAX_ENTRIES = 4096;
    private static final String MAGIC = "git-theta stat-cache ";
    private static final int VERSION = 1;

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
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong fullCleans = new AtomicLong();

    public StatCache(Path dir) {
        this.dir = dir;
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

    /** Waits until a file of this stat has {@link Stat#settled() settled}, so that it can be recorded. */
    public static void awaitSettled(Stat stat) throws IOException {
        long wait = SETTLED_NANOS
                + 1_000_000L
                - (System.currentTimeMillis() * 1_000_000L - Math.max(stat.mtimeNanos(), stat.ctimeNanos()));
        if (wait <= 0) return;
        try {
            Thread.sleep(wait / 1_000_000L + 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for written files to settle");
        }
    }

    /** What a file cleaned to, and the CRC32C of its whole content (a check against content from elsewhere). */
    private record Entry(int crc32c, byte[] manifest) {}

    /** The entry recorded for exactly this stat, if it is intact and its manifest describes a file of that size. */
    private Optional<Entry> lookup(Stat stat) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(dir.resolve(stat.entryName()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        byte[] h = (MAGIC + VERSION + " " + stat.line() + " ").getBytes(StandardCharsets.US_ASCII);
        int nl = indexOf(bytes, (byte) '\n');
        if (nl < 0 || !Arrays.equals(bytes, 0, Math.min(h.length, nl), h, 0, h.length)) return Optional.empty();
        String[] sums = new String(bytes, h.length, nl - h.length, StandardCharsets.US_ASCII).split(" ");
        byte[] manifest = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        if (sums.length != 2 || !sums[1].equals(sha256Hex(manifest))) return Optional.empty();
        try {
            int crc = Integer.parseUnsignedInt(sums[0], 16);
            return describesFileOf(manifest, stat.size()) ? Optional.of(new Entry(crc, manifest)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether the bytes are a manifest of a file of this size (not a manifest that was itself cleaned, say). */
    private static boolean describesFileOf(byte[] manifest, long size) {
        try {
            return Manifest.looksLike(manifest, manifest.length)
                    && Manifest.parse(manifest).fileSize() == size;
        } catch (ManifestException e) {
            return false;
        }
    }

    /** The manifest the work-tree file cleaned to when it last had the stat it has now; read only. */
    public Optional<byte[]> recorded(Path file) throws IOException {
        Optional<Stat> stat = stat(file);
        return stat.isEmpty() ? Optional.empty() : lookup(stat.get()).map(Entry::manifest);
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
            record(stat.get(), entry.get().crc32c(), manifest);
        }
    }

    /** Records what a file of this stat cleaned to; a file changed too recently is not recorded. */
    public void record(Stat stat, int crc32c, byte[] manifest) throws IOException {
        if (!stat.settled()) return;
        Files.createDirectories(dir);
        String header = MAGIC + VERSION + " " + stat.line() + " " + Integer.toHexString(crc32c) + " "
                + sha256Hex(manifest) + "\n";
        AtomicFile.replace(
                dir.resolve(stat.entryName()),
                out -> {
                    out.write(header.getBytes(StandardCharsets.US_ASCII));
                    out.write(manifest);
                },
                Optional.empty());
        trim();
    }

    /** A clean that does the work: content in, manifest out. */
    @FunctionalInterface
    public interface Clean {
        CleanResult clean(InputStream content, OutputStream out) throws IOException;
    }

    /**
     * Clean of the work-tree file {@code file} whose content Git streams in: answered from the cache when it knows
     * the file, else by {@code full}, whose result is then recorded. A cached answer is given only after the
     * content has been drained and checked (the recorded size and CRC32C) and the file's stat taken again. A file
     * changed while it was streamed is cleaned in full as it is now; content that does not match while the file
     * is unchanged is not the file's (e.g. {@code git hash-object --path}), and as it is consumed it is refused.
     */
    public CleanResult clean(Path file, InputStream content, OutputStream out, Clean full) throws IOException {
        Optional<Stat> before = stat(file);
        Optional<Entry> entry = before.isEmpty() ? Optional.empty() : lookup(before.get());
        if (entry.isEmpty()) return cleanAndRecord(file, before, content, out, full);
        CheckedInputStream in = new CheckedInputStream(content, new CRC32C());
        long read = in.transferTo(OutputStream.nullOutputStream());
        boolean same = read == before.get().size()
                && (int) in.getChecksum().getValue() == entry.get().crc32c();
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
        out.write(entry.get().manifest());
        return CleanResult.SPLIT; // what it was stored as was said when it was cleaned
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
            record(before.get(), (int) in.getChecksum().getValue(), bytes);
        }
        return result;
    }

    /** The content's CRC32C and length, as the full clean reads it. */
    private static final class CountingCrc extends CheckedInputStream {
        long count;

        CountingCrc(InputStream in) {
            super(in, new CRC32C());
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) count += n;
            return n;
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
