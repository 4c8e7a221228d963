package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * The strategies' element loops run over chunks of {@link #SIZE} elements read in bulk into double buffers (one
 * dtype switch per chunk, not per element), so that a pass over a large tensor needs a few small buffers.
 */
final class Chunks {
    static final int SIZE = 4096;

    private Chunks() {}

    /** A computation over elements {@code [from, from + count)}. */
    @FunctionalInterface
    interface Body {
        void run(long from, int count);
    }

    static void forEach(long n, Body body) {
        for (long from = 0; from < n; from += SIZE) body.run(from, (int) Math.min(SIZE, n - from));
    }

    /** {@code dst[i] = λ · (side[from + i] − base[from + i])} for one chunk; {@code baseBuffer} is scratch space. */
    static void taskVector(
            TensorView side, TensorView base, double lambda, long from, int count, double[] baseBuffer, double[] dst) {
        base.get(from, baseBuffer, count);
        side.get(from, dst, count);
        for (int i = 0; i < count; i++) dst[i] = lambda * (dst[i] - baseBuffer[i]);
    }
}
