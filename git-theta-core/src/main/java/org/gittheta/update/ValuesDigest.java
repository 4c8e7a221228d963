package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.gittheta.store.ObjectStore;

/** SHA-256 (identity of the values, for the manifest) and CRC32C (checked at decode) of a parameter's raw bytes, in one
 * pass. */
public record ValuesDigest(String sha256, int crc32c) {
    private static final long SLICE = 1 << 24;

    public static ValuesDigest of(MemorySegment values) {
        MessageDigest sha = ObjectStore.sha256();
        CRC32C crc = new CRC32C();
        for (long off = 0; off < values.byteSize(); off += SLICE) {
            MemorySegment slice = values.asSlice(off, Math.min(SLICE, values.byteSize() - off));
            sha.update(slice.asByteBuffer());
            crc.update(slice.asByteBuffer());
        }
        return new ValuesDigest(HexFormat.of().formatHex(sha.digest()), (int) crc.getValue());
    }
}
