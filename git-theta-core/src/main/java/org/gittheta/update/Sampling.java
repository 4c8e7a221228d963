package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Evenly spaced windows of a parameter, read to decide between update kinds without encoding or scanning every
 * candidate whole: a few hundred KiB predict a large tensor's compressed size and changed fraction well enough to
 * choose, and the choice never affects correctness (every kind is exact).
 */
final class Sampling {
    /** Bytes compressed to estimate a candidate's size; a smaller section is compressed whole. */
    static final int ESTIMATE_WINDOW = 1 << 16;

    static final int ESTIMATE_WINDOWS = 8;
    /** Bytes compared to estimate how many elements changed. */
    private static final int CHANGE_WINDOW = 1 << 14;

    private static final int CHANGE_WINDOWS = 32;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Sampling() {}

    /** A byte range {@code [offset, offset + length)}; offsets are multiples of the window, so of every width. */
    record Window(long offset, int length) {}

    /** The windows that estimate a section of {@code length} bytes: all of it when it is small. */
    static List<Window> windows(long length) {
        return windows(length, ESTIMATE_WINDOW, ESTIMATE_WINDOWS);
    }

    private static List<Window> windows(long length, int window, int count) {
        List<Window> all = new ArrayList<>();
        if (length <= (long) window * count) {
            for (long at = 0; at < length; at += window) all.add(new Window(at, (int) Math.min(window, length - at)));
            return all;
        }
        long slots = length / window;
        for (int i = 0; i < count; i++) {
            long at = (i * slots / count) * window;
            all.add(new Window(at, (int) Math.min(window, length - at)));
        }
        return all;
    }

    /** The fraction of {@code w}-byte elements that differ between {@code a} and {@code b}, from samples. */
    static double changedFraction(MemorySegment a, MemorySegment b, int w) {
        long compared = 0, same = 0;
        for (Window window : windows(a.byteSize(), CHANGE_WINDOW, CHANGE_WINDOWS)) {
            long n = window.length() / w;
            same += sameElements(a, window.offset(), b, window.offset(), n, w);
            compared += n;
        }
        return compared == 0 ? 0 : 1 - (double) same / compared;
    }

    /** How many of the {@code count} {@code w}-byte elements at {@code aAt} and {@code bAt} are equal. */
    static long sameElements(MemorySegment a, long aAt, MemorySegment b, long bAt, long count, int w) {
        long same = 0;
        switch (w) {
            case 1 -> {
                for (long i = 0; i < count; i++)
                    if (a.get(ValueLayout.JAVA_BYTE, aAt + i) == b.get(ValueLayout.JAVA_BYTE, bAt + i)) same++;
            }
            case 2 -> {
                for (long i = 0; i < count; i++) if (a.get(SHORT, aAt + 2 * i) == b.get(SHORT, bAt + 2 * i)) same++;
            }
            case 4 -> {
                for (long i = 0; i < count; i++) if (a.get(INT, aAt + 4 * i) == b.get(INT, bAt + 4 * i)) same++;
            }
            case 8 -> {
                for (long i = 0; i < count; i++) if (a.get(LONG, aAt + 8 * i) == b.get(LONG, bAt + 8 * i)) same++;
            }
            default -> {
                for (long i = 0; i < count; i++) {
                    long x = aAt + i * w, y = bAt + i * w;
                    if (MemorySegment.mismatch(a, x, x + w, b, y, y + w) < 0) same++;
                }
            }
        }
        return same;
    }
}
