package org.gittheta.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a sequence of independent tasks in parallel and hands their results on in order, with a bounded
 * number in flight so that memory stays flat however long the sequence is.
 */
public final class Ordered {
    /** Virtual threads: a task may itself wait on others without starving a fixed pool. */
    private static final ExecutorService EXECUTOR = Executors.newVirtualThreadPerTaskExecutor();
    public static final int WINDOW = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private Ordered() {}

    @FunctionalInterface
    public interface Task<T> { T call(int index) throws Exception; }

    @FunctionalInterface
    public interface Sink<T> { void accept(T result) throws IOException; }

    public static <T> void run(int count, Task<T> task, Sink<T> sink) throws IOException {
        ArrayDeque<Future<T>> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            while (next < count || !inFlight.isEmpty()) {
                while (next < count && inFlight.size() < WINDOW) {
                    int i = next++;
                    inFlight.add(EXECUTOR.submit((Callable<T>) () -> task.call(i)));
                }
                sink.accept(await(inFlight.poll()));
            }
        } finally {
            inFlight.forEach(f -> f.cancel(true));
        }
    }

    /** Starts one task in the background. */
    public static <T> Future<T> submit(Callable<T> task) { return EXECUTOR.submit(task); }

    /** Waits for a future, rethrowing its failure as the IOException or unchecked exception it was. */
    public static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof UncheckedIOException u) throw u.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }
}
