package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** Bytes of each side compared at a time. */
    private static final int COMPARE_BLOCK = 1 << 14;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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

    /**
     * How many of the {@code count} {@code w}-byte elements at {@code aAt} and {@code bAt} are equal. The segments
     * are copied into arrays a block at a time and compared there: element reads straight from segments of several
     * kinds (heap, native, mapped) at one call site defeat the JIT's inlining, and each read then costs an
     * out-of-line alignment and bounds check (profiled: half of a dense step's CPU).
     */
    static long sameElements(MemorySegment a, long aAt, MemorySegment b, long bAt, long count, int w) {
        int perBlock = Math.max(1, COMPARE_BLOCK / w);
        byte[] x = new byte[Math.toIntExact(Math.min(count, perBlock) * w)];
        byte[] y = new byte[x.length];
        long same = 0;
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(perBlock, count - done);
            int bytes = n * w;
            MemorySegment.copy(a, ValueLayout.JAVA_BYTE, aAt + done * w, x, 0, bytes);
            MemorySegment.copy(b, ValueLayout.JAVA_BYTE, bAt + done * w, y, 0, bytes);
            same += sameElements(x, y, n, w);
            done += n;
        }
        return same;
    }

    private static long sameElements(byte[] x, byte[] y, int count, int w) {
        long same = 0;
        switch (w) {
            case 1 -> {
                for (int i = 0; i < count; i++) if (x[i] == y[i]) same++;
            }
            case 2 -> {
                for (int i = 0; i < 2 * count; i += 2) if ((short) SHORT.get(x, i) == (short) SHORT.get(y, i)) same++;
            }
            case 4 -> {
                for (int i = 0; i < 4 * count; i += 4) if ((int) INT.get(x, i) == (int) INT.get(y, i)) same++;
            }
            case 8 -> {
                for (int i = 0; i < 8 * count; i += 8) if ((long) LONG.get(x, i) == (long) LONG.get(y, i)) same++;
            }
            default -> {
                for (int i = 0; i < w * count; i += w) if (Arrays.mismatch(x, i, i + w, y, i, i + w) < 0) same++;
            }
        }
        return same;
    }
}
