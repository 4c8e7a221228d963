package org.gittheta.convert;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * A file's length and two CRCs of its whole content (CRC32C and CRC32, different polynomials: together a 64-bit
 * check), to tell whether a touched file still holds what was cleaned. CRCs rather than a cryptographic hash: the
 * JVM computes both with CPU instructions even before its JIT has compiled anything, which matters in a filter
 * process that lives for one {@code git status}. They guard against changes by the user, not against someone
 * crafting a file: who can write the work tree can already fool Git's own stat check.
 */
public record ContentSums(long size, int crc32c, int crc32) {
    /** Regions mapped at a time: a mapping holds at most 2 GiB. */
    private static final long REGION = 1L << 30;

    /** The sums of a file, read memory-mapped: CRC32 on a second thread while this one computes CRC32C. */
    static ContentSums of(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            List<MappedByteBuffer> regions = new ArrayList<>();
            for (long at = 0; at < size; at += REGION) {
                regions.add(ch.map(FileChannel.MapMode.READ_ONLY, at, Math.min(REGION, size - at)));
            }
            CRC32 crc32 = new CRC32();
            Thread second = Thread.ofPlatform().start(() -> update(crc32, regions));
            CRC32C crc32c = new CRC32C();
            update(crc32c, regions);
            try {
                second.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while checking " + file.getFileName());
            }
            if (ch.size() != size) throw new IOException(file.getFileName() + ": changed while it was read");
            return new ContentSums(size, (int) crc32c.getValue(), (int) crc32.getValue());
        }
    }

    private static void update(Checksum sum, List<MappedByteBuffer> regions) {
        // duplicates: both threads read the same mappings, each with its own position
        for (MappedByteBuffer region : regions) sum.update(region.duplicate());
    }
}
