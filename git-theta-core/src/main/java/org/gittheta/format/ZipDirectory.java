package org.gittheta.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The entries of a zip archive, read from its end records, central directory and local headers. It reads a
 * whole file, or a skeleton: the file with the data of some entries cut out. All offsets in the archive's
 * records are file offsets; in a skeleton, bytes after a cut sit earlier by the length of every cut before them.
 *
 * <p>What this accepts, so that a skeleton alone locates every entry: the central directory is followed
 * directly by the zip64 end record (exactly 56 bytes) and its locator when present, then the end record and
 * its comment up to the end of the file; as every writer we know (PyTorch's, Python's zipfile) lays it out.
 * Entries may not overlap each other or the central directory; no cut may come after the directory's start.
 */
final class ZipDirectory {
    private static final int LOCAL = 0x04034b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int END = 0x06054b50;
    private static final int END64 = 0x06064b50;
    private static final int LOCATOR64 = 0x07064b50;
    private static final int DESCRIPTOR = 0x08074b50;
    private static final int END_LENGTH = 22;
    private static final int END64_LENGTH = 56;
    private static final int LOCATOR64_LENGTH = 20;
    private static final int CENTRAL_LENGTH = 46;
    private static final int LOCAL_LENGTH = 30;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final long U32_MAX = 0xFFFF_FFFFL;
    /** 4 EiB: no real archive is larger, and offset arithmetic below it cannot overflow. */
    private static final long MAX_OFFSET = 1L << 62;

    private static final int FLAG_DESCRIPTOR = 1 << 3;
    private static final int FLAG_UTF8 = 1 << 11;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * A central directory record; sizes and offset already taken from the zip64 extra field when it has them.
     * @param centralPosition where the record starts in the segment read
     */
    record Entry(
            String name,
            byte[] rawName,
            int flags,
            int method,
            long crc,
            long compressedSize,
            long size,
            long localOffset,
            boolean zip64,
            long centralPosition) {}

    /**
     * An entry with where its data starts in the file, and in the segment read (the same for a whole file).
     * @param crcPositions where, in the segment read, the archive records the entry's CRC-32: its central directory
     *     record, and its local header or (when the header defers it) its data descriptor
     */
    record Placed(Entry entry, long dataOffset, long dataPosition, List<Long> crcPositions) {
        long dataEnd() {
            return dataOffset + entry.compressedSize;
        }
    }

    private final String file;
    private final MemorySegment in;
    private final boolean skeleton;
    private final List<Entry> entries;
    private final long directoryOffset;
    private final long cutBytes;

    private ZipDirectory(
            String file, MemorySegment in, boolean skeleton, List<Entry> entries, long directoryOffset, long cutBytes) {
        this.file = file;
        this.in = in;
        this.skeleton = skeleton;
        this.entries = entries;
        this.directoryOffset = directoryOffset;
        this.cutBytes = cutBytes;
    }

    /** Entries in central directory order. */
    List<Entry> entries() {
        return entries;
    }

    /** How many bytes were cut out of the segment: 0 for a whole file. */
    long cutBytes() {
        return cutBytes;
    }

    /**
     * Reads the end records and central directory of {@code in}, a whole file ({@code skeleton} false) or a
     * skeleton; a whole file must have its directory exactly where the end record says.
     */
    static ZipDirectory read(String file, MemorySegment in, boolean skeleton) throws BadCheckpointException {
        Bytes b = new Bytes(file, in);
        long size = in.byteSize();
        if (size < END_LENGTH) throw b.bad("file is " + size + " bytes, too short for a zip archive");
        long end = -1;
        for (long p = size - END_LENGTH; p >= Math.max(0, size - END_LENGTH - MAX_COMMENT); p--) {
            if (b.u32(p) == END && b.u16(p + 20) == size - p - END_LENGTH) {
                end = p;
                break;
            }
        }
        if (end < 0) throw b.bad("no zip end-of-central-directory record at the end of the file");
        long count = b.u16(end + 10);
        long directorySize = b.u32(end + 12);
        long directoryOffset = b.u32(end + 16);
        long tailStart = end;
        long zip64Cut = -1;
        if (end >= LOCATOR64_LENGTH && b.u32(end - LOCATOR64_LENGTH) == LOCATOR64) {
            long record64 = end - LOCATOR64_LENGTH - END64_LENGTH;
            if (record64 < 0 || b.u32(record64) != END64) {
                throw b.bad("zip64 end record is not directly before its locator");
            }
            if (b.u64(record64 + 4) != END64_LENGTH - 12) throw b.bad("zip64 end record with extensible data");
            if (b.u32(record64 + 16) != 0 || b.u32(record64 + 20) != 0) throw b.bad("multi-disk zip archive");
            count = b.u64(record64 + 32);
            directorySize = b.u64(record64 + 40);
            directoryOffset = b.u64(record64 + 48);
            zip64Cut = b.u64(end - LOCATOR64_LENGTH + 8) - record64;
            tailStart = record64;
        } else if (b.u16(end + 4) != 0 || b.u16(end + 6) != 0) {
            throw b.bad("multi-disk zip archive");
        }
        if (directoryOffset > MAX_OFFSET) throw b.bad("central directory offset " + directoryOffset + " is too large");
        if (directorySize > tailStart) {
            throw b.bad("central directory of " + directorySize + " bytes does not fit before the end record");
        }
        long directoryPosition = tailStart - directorySize;
        long cut = directoryOffset - directoryPosition;
        if ((skeleton ? cut < 0 : cut != 0) || zip64Cut >= 0 && zip64Cut != cut) {
            throw b.bad("central directory is at " + directoryPosition + " but the end record says " + directoryOffset);
        }
        if (count > directorySize / CENTRAL_LENGTH || count > Integer.MAX_VALUE) {
            throw b.bad(
                    "end record counts " + count + " entries, more than a " + directorySize + "-byte directory holds");
        }
        List<Entry> entries = readDirectory(b, directoryPosition, directorySize, (int) count);
        return new ZipDirectory(file, in, skeleton, entries, directoryOffset, cut);
    }

    private static List<Entry> readDirectory(Bytes b, long start, long length, int count)
            throws BadCheckpointException {
        List<Entry> entries = new ArrayList<>(count);
        Set<String> names = new HashSet<>();
        long p = start;
        for (int i = 0; i < count; i++) {
            if (b.u32(p) != CENTRAL) throw b.bad("central directory entry " + i + " at " + p + " has a bad signature");
            int flags = (int) b.u16(p + 8);
            int method = (int) b.u16(p + 10);
            long crc = b.u32(p + 16);
            long compressed = b.u32(p + 20);
            long size = b.u32(p + 24);
            int nameLength = (int) b.u16(p + 28);
            int extraLength = (int) b.u16(p + 30);
            int commentLength = (int) b.u16(p + 32);
            long disk = b.u16(p + 34);
            long local = b.u32(p + 42);
            byte[] rawName = b.bytes(p + CENTRAL_LENGTH, nameLength);
            String name = decodeName(b, rawName, flags);
            long extra = p + CENTRAL_LENGTH + nameLength;
            boolean zip64 = false;
            for (long e = extra; e < extra + extraLength; ) {
                long id = b.u16(e);
                long blockLength = b.u16(e + 2);
                long data = e + 4;
                if (data + blockLength > extra + extraLength) {
                    throw b.bad("entry '" + name + "': extra field runs past its end");
                }
                if (id == ZIP64_EXTRA) {
                    zip64 = true;
                    long q = data;
                    if (size == U32_MAX) {
                        size = b.u64(q);
                        q += 8;
                    }
                    if (compressed == U32_MAX) {
                        compressed = b.u64(q);
                        q += 8;
                    }
                    if (local == U32_MAX) {
                        local = b.u64(q);
                        q += 8;
                    }
                    if (disk == 0xFFFF) {
                        disk = b.u32(q);
                        q += 4;
                    }
                    if (q > data + blockLength) throw b.bad("entry '" + name + "': zip64 extra field is too short");
                }
                e = data + blockLength;
            }
            if (disk != 0) throw b.bad("multi-disk zip archive");
            if (!names.add(name)) throw b.bad("entry '" + name + "' appears twice");
            entries.add(new Entry(name, rawName, flags, method, crc, compressed, size, local, zip64, p));
            p = extra + extraLength + commentLength;
        }
        if (p != start + length) {
            throw b.bad("central directory holds " + (p - start) + " bytes of entries, the end record says " + length);
        }
        return List.copyOf(entries);
    }

    private static String decodeName(Bytes b, byte[] raw, int flags) throws BadCheckpointException {
        if ((flags & FLAG_UTF8) == 0) return new String(raw, StandardCharsets.ISO_8859_1);
        try {
            return StrictUtf8.decode(raw);
        } catch (CharacterCodingException e) {
            throw b.bad("an entry name is not valid UTF-8");
        }
    }

    /**
     * Every entry in file order with where its data is, checking its local header (and data descriptor)
     * against the directory. In a skeleton, the data of the entries {@code cut} accepts is absent.
     */
    List<Placed> place(Predicate<Entry> cut) throws BadCheckpointException {
        Bytes b = new Bytes(file, in);
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::localOffset));
        List<Placed> placed = new ArrayList<>(byOffset.size());
        long shift = 0;
        long previousEnd = 0;
        for (Entry e : byOffset) {
            String name = "entry '" + e.name + "'";
            if (e.localOffset >= directoryOffset) throw b.bad(name + " starts after the central directory");
            if (e.localOffset < previousEnd) {
                throw b.bad(name + " at " + e.localOffset + " overlaps the entry before it");
            }
            long header = e.localOffset - shift;
            if (b.u32(header) != LOCAL) throw b.bad(name + ": no local header at " + e.localOffset);
            int nameLength = (int) b.u16(header + 26);
            int extraLength = (int) b.u16(header + 28);
            if (!Arrays.equals(b.bytes(header + LOCAL_LENGTH, nameLength), e.rawName)) {
                throw b.bad(name + ": local header names another entry");
            }
            if (b.u16(header + 8) != e.method) throw b.bad(name + ": local header has another compression method");
            boolean descriptor = (b.u16(header + 6) & FLAG_DESCRIPTOR) != 0;
            if (!descriptor && !sizesMatch(b, e, header + 14, false)) {
                throw b.bad(name + ": local header disagrees with the central directory");
            }
            long dataOffset = e.localOffset + LOCAL_LENGTH + nameLength + extraLength;
            long dataEnd = dataOffset + e.compressedSize;
            if (dataEnd > directoryOffset || dataEnd < 0) {
                throw b.bad(name + ": data of " + e.compressedSize + " bytes runs into the central directory");
            }
            long dataPosition = dataOffset - shift;
            if (skeleton && cut.test(e)) shift += e.compressedSize;
            long end = dataEnd;
            long localCrc = header + 14;
            if (descriptor) {
                long p = dataEnd - shift;
                if (b.u32(p) == DESCRIPTOR) p += 4;
                localCrc = p;
                // Writers disagree on when sizes here are 64-bit; the zip64 extra is the usual hint.
                boolean wide = sizesMatch(b, e, p, e.zip64) ? e.zip64 : !e.zip64;
                if (!sizesMatch(b, e, p, wide)) {
                    throw b.bad(name + ": data descriptor disagrees with the central directory");
                }
                end = p + (wide ? 20 : 12) + shift;
            }
            placed.add(new Placed(e, dataOffset, dataPosition, List.of(e.centralPosition + 16, localCrc)));
            previousEnd = end;
        }
        if (previousEnd > directoryOffset) throw b.bad("the last entry runs into the central directory");
        if (shift != cutBytes) {
            throw b.bad("skeleton lacks " + cutBytes + " bytes but its storages hold " + shift);
        }
        return placed;
    }

    /** Whether CRC and sizes at {@code p} (32- or 64-bit sizes) are the directory's; false if they do not fit. */
    private static boolean sizesMatch(Bytes b, Entry e, long p, boolean wide) throws BadCheckpointException {
        if (!b.has(p, wide ? 20 : 12)) return false;
        long crc = b.u32(p);
        long compressed = wide ? b.u64(p + 4) : b.u32(p + 4);
        long size = wide ? b.u64(p + 12) : b.u32(p + 8);
        boolean sizesInExtra = !wide && compressed == U32_MAX && size == U32_MAX;
        return crc == e.crc && (sizesInExtra || compressed == e.compressedSize && size == e.size);
    }

    /** Bounds-checked little-endian reads; running past the end is a truncated file. */
    private record Bytes(String file, MemorySegment in) {
        long u16(long p) throws BadCheckpointException {
            return Short.toUnsignedLong(in.get(U16, at(p, 2)));
        }

        long u32(long p) throws BadCheckpointException {
            return Integer.toUnsignedLong(in.get(U32, at(p, 4)));
        }

        long u64(long p) throws BadCheckpointException {
            long v = in.get(U64, at(p, 8));
            if (v < 0) throw bad("a 64-bit size or offset at " + p + " is too large");
            return v;
        }

        byte[] bytes(long p, int n) throws BadCheckpointException {
            return in.asSlice(at(p, n), n).toArray(ValueLayout.JAVA_BYTE);
        }

        boolean has(long p, long n) {
            return p >= 0 && p <= in.byteSize() - n;
        }

        private long at(long p, long n) throws BadCheckpointException {
            if (!has(p, n)) {
                throw bad("truncated: needs " + n + " bytes at " + p + ", the data is " + in.byteSize() + " bytes");
            }
            return p;
        }

        BadCheckpointException bad(String what) {
            return new BadCheckpointException(file, what);
        }
    }
}
