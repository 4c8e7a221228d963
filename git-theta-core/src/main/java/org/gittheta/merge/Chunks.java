package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.gittheta.tensor.TensorView;

/**
 * The strategies' element loops run over chunks of {@link #SIZE} elements read in bulk into double buffers (one
 * dtype switch per chunk, not per element), so that a pass over a large tensor needs a few small buffers.
 */
final class Chunks {
    static final int SIZE = 4096;
    private static final int PARTS = Runtime.getRuntime().availableProcessors();

    private Chunks() {}

    /** A computation over elements {@code [from, from + count)}. */
    @FunctionalInterface
    interface Body {
        void run(long from, int count);
    }

    static void forEach(long n, Body body) {
        for (long from = 0; from < n; from += SIZE) body.run(from, (int) Math.min(SIZE, n - from));
    }

    /** A computation over elements {@code [from, to)}, a range of whole chunks, with buffers of its own. */
    @FunctionalInterface
    interface Range {
        void run(long from, long to);
    }

    /**
     * Runs {@code range} over {@code [0, n)} cut into one range of whole chunks per core, all at once (here and on
     * virtual threads). Parameters are merged a few at a time, but one whose inputs fill the merge's memory budget
     * (a fine-tune more, or Fisher values) runs alone: its chunks are what keeps every core busy.
     */
    static void inParallel(long n, Range range) {
        long chunks = (n + SIZE - 1) / SIZE;
        int parts = (int) Math.min(PARTS, chunks);
        if (parts <= 1) {
            range.run(0, n);
            return;
        }
        long[] bound = new long[parts + 1];
        for (int p = 0; p <= parts; p++) bound[p] = Math.min(n, chunks * p / parts * SIZE);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> others = new ArrayList<>();
            for (int p = 1; p < parts; p++) {
                long from = bound[p];
                long to = bound[p + 1];
                others.add(threads.submit(() -> range.run(from, to)));
            }
            range.run(0, bound[1]);
            for (Future<?> f : others) f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        }
    }

    /** {@code dst[i] = λ · (side[from + i] − base[i])} for one chunk, {@code base} the base's values there. */
    static void taskVector(TensorView side, double[] base, double lambda, long from, int count, double[] dst) {
        side.get(from, dst, count);
        for (int i = 0; i < count; i++) dst[i] = lambda * (dst[i] - base[i]);
    }
}
