package org.gittheta.update;

import java.util.Optional;
import org.gittheta.tensor.Shape;

/**
 * numpy's broadcasting of a source shape onto a target shape: dimensions aligned from the right, each source
 * dimension equal to the target's or 1 (then repeated); extra leading source dimensions must be 1.
 */
final class Broadcast {
    private final long[] dims;
    private final long[] sourceStrides;

    private Broadcast(long[] dims, long[] sourceStrides) {
        this.dims = dims;
        this.sourceStrides = sourceStrides;
    }

    /** The mapping, or empty when {@code source} does not broadcast to {@code target} without changing its shape. */
    static Optional<Broadcast> of(Shape source, Shape target) {
        long[] s = source.dims(), t = target.dims();
        for (int k = 0; k < s.length - t.length; k++) if (s[k] != 1) return Optional.empty();
        long[] strides = new long[t.length];
        long step = 1;
        for (int k = 1; k <= t.length; k++) {
            int si = s.length - k, ti = t.length - k;
            long sd = si >= 0 ? s[si] : 1;
            if (sd != t[ti] && sd != 1) return Optional.empty();
            strides[ti] = sd == 1 ? 0 : step;
            step *= sd;
        }
        return Optional.of(new Broadcast(t, strides));
    }

    /** The shape numpy gives two broadcast operands, or empty if they do not broadcast. */
    static Optional<long[]> shape(long[] a, long[] b) {
        long[] out = new long[Math.max(a.length, b.length)];
        for (int k = 1; k <= out.length; k++) {
            long x = a.length - k >= 0 ? a[a.length - k] : 1, y = b.length - k >= 0 ? b[b.length - k] : 1;
            if (x != y && x != 1 && y != 1) return Optional.empty();
            out[out.length - k] = x == 1 ? y : x;
        }
        return Optional.of(out);
    }

    /** The source element (row-major) that target element {@code i} reads. */
    long map(long i) {
        long at = 0;
        for (int k = dims.length - 1; k >= 0 && i > 0; k--) {
            at += (i % dims[k]) * sourceStrides[k];
            i /= dims[k];
        }
        return at;
    }
}
