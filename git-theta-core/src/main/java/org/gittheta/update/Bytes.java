package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** XOR of byte ranges, eight bytes at a time. */
final class Bytes {
    private Bytes() {}

    /** {@code dst[0..len) ^= src[srcOffset..srcOffset+len)}. */
    static void xor(byte[] dst, MemorySegment src, long srcOffset, int len) {
        MemorySegment d = MemorySegment.ofArray(dst);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            d.set(ValueLayout.JAVA_LONG_UNALIGNED, i, d.get(ValueLayout.JAVA_LONG_UNALIGNED, i) ^ src.get(ValueLayout.JAVA_LONG_UNALIGNED, srcOffset + i));
        }
        for (; i < len; i++) dst[i] ^= src.get(ValueLayout.JAVA_BYTE, srcOffset + i);
    }
}
