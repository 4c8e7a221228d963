package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.gittheta.store.ObjectStore;

/** SHA-256 (identity of the values, for the manifest) and CRC32C (checked at decode) of a parameter's raw bytes, in one
 * pass. */
public record ValuesDigest(String sha256, int crc32c) {
    /**
     * The values are read a block at a time into an array that stays in the core's cache for both sums: from a
     * segment, SHA-256 copied them 4 KiB at a time through a buffer of its own, and CRC32C read every 16 MiB slice
     * from memory a second time.
     */
    private static final int BLOCK = 1 << 16;

    public static ValuesDigest of(MemorySegment values) {
        MessageDigest sha = ObjectStore.sha256();
        CRC32C crc = new CRC32C();
        byte[] block = new byte[(int) Math.min(BLOCK, values.byteSize())];
        for (long off = 0; off < values.byteSize(); off += block.length) {
            int n = (int) Math.min(block.length, values.byteSize() - off);
            MemorySegment.copy(values, ValueLayout.JAVA_BYTE, off, block, 0, n);
            sha.update(block, 0, n);
            crc.update(block, 0, n);
        }
        return new ValuesDigest(HexFormat.of().formatHex(sha.digest()), (int) crc.getValue());
    }
}
