package org.gittheta.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a sequence of independent tasks in parallel and hands their results on in order, with a bounded
 * number in flight so that memory stays flat however long the sequence is.
 */
public final class Ordered {
    /** Virtual threads (here and for {@link Results}): a task may wait on others without starving a fixed pool. */
    private static final ExecutorService EXECUTOR = Executors.newVirtualThreadPerTaskExecutor();

    public static final int WINDOW = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private Ordered() {}

    @FunctionalInterface
    public interface Task<T> {
        T call(int index) throws Exception;
    }

    @FunctionalInterface
    public interface Sink<T> {
        void accept(T result) throws IOException;
    }

    public static <T> void run(int count, Task<T> task, Sink<T> sink) throws IOException {
        if (count == 1) { // one task (a small parameter's only chunk): run here rather than start a thread for it
            sink.accept(callHere(task));
            return;
        }
        try (Results<T> results = results(count, task)) {
            while (results.hasNext()) sink.accept(results.next());
        }
    }

    private static <T> T callHere(Task<T> task) throws IOException {
        try {
            return task.call(0);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** The results of tasks {@code 0 .. count-1}, pulled in order: tasks start only as results are taken. */
    public static <T> Results<T> results(int count, Task<T> task) {
        return results(count, WINDOW, task);
    }

    /** The same with at most {@code window} tasks running ahead of the reader. */
    public static <T> Results<T> results(int count, int window, Task<T> task) {
        return new Results<>(count, window, task);
    }

    /**
     * Results pulled one at a time, with at most a window of tasks (by default {@link #WINDOW}) running ahead of the
     * reader. Closing it interrupts the tasks whose results were not taken and returns once they have stopped, so
     * that what they read (mapped objects) can then be released. One reader at a time.
     */
    public static final class Results<T> implements AutoCloseable {
        private record Running<T>(Thread thread, CompletableFuture<T> result) {}

        private final int count;
        private final int window;
        private final Task<T> task;
        private final ArrayDeque<Running<T>> inFlight = new ArrayDeque<>();
        private volatile boolean closed;
        private int next;

        private Results(int count, int window, Task<T> task) {
            this.count = count;
            this.window = Math.max(1, window);
            this.task = task;
        }

        public boolean hasNext() {
            return next < count || !inFlight.isEmpty();
        }

        /** The next result, in order; rethrows the task's failure. */
        public T next() throws IOException {
            while (next < count && inFlight.size() < window) {
                int i = next++;
                CompletableFuture<T> result = new CompletableFuture<>();
                Thread thread = Thread.startVirtualThread(() -> {
                    try {
                        result.complete(closed ? null : task.call(i));
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
                inFlight.add(new Running<>(thread, result));
            }
            Running<T> r = inFlight.poll();
            if (r == null) throw new NoSuchElementException("all " + count + " results were taken");
            return await(r.result());
        }

        @Override
        public void close() {
            next = count;
            closed = true;
            inFlight.forEach(r -> r.thread().interrupt());
            try {
                for (Running<T> r : inFlight) r.thread().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlight.clear();
        }
    }

    /** Starts one task in the background. */
    public static <T> Future<T> submit(Callable<T> task) {
        return EXECUTOR.submit(task);
    }

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
