package org.gittheta.convert;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * A file's length and two CRCs of its whole content (CRC32C and CRC32, different polynomials: together a 64-bit
 * check), to tell whether a touched file still holds what was cleaned. CRCs rather than a cryptographic hash: the
 * JVM computes both with CPU instructions even before its JIT has compiled anything, which matters in a filter
 * process that lives for one {@code git status}. They guard against changes by the user, not against someone
 * crafting a file: who can write the work tree can already fool Git's own stat check.
 */
public record ContentSums(long size, int crc32c, int crc32) {
    /**
     * Bytes mapped at a time. Each region is unmapped as soon as both sums have read it: mapped pages count in the
     * process's resident set for as long as the mapping lives, and a mapping left to the garbage collector lives on
     * through the clean that follows a mismatch (a 1 GiB checkpoint's re-clean peaked at 1.5 GiB RSS, 1 GiB of it
     * this file's pages).
     */
    private static final long REGION = 64L << 20;

    /** The sums of a file, mapped region by region: CRC32 on a second thread while this one computes CRC32C. */
    static ContentSums of(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            CRC32 crc32 = new CRC32();
            CRC32C crc32c = new CRC32C();
            for (long at = 0; at < size; at += REGION) {
                try (Arena arena = Arena.ofShared()) {
                    ByteBuffer region = ch.map(FileChannel.MapMode.READ_ONLY, at, Math.min(REGION, size - at), arena)
                            .asByteBuffer();
                    // a duplicate taken here, before this thread moves the region's position: each reads it whole
                    ByteBuffer copy = region.duplicate();
                    Thread second = Thread.ofPlatform().start(() -> crc32.update(copy));
                    crc32c.update(region);
                    join(second, file);
                }
            }
            if (ch.size() != size) throw new IOException(file.getFileName() + ": changed while it was read");
            return new ContentSums(size, (int) crc32c.getValue(), (int) crc32.getValue());
        }
    }

    private static void join(Thread second, Path file) throws InterruptedIOException {
        try {
            second.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while checking " + file.getFileName());
        }
    }
}
