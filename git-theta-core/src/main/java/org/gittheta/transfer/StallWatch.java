package org.gittheta.transfer;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The activity timeout of one HTTP exchange ({@code lfs.activitytimeout} in git-lfs) while it sends: when no byte
 * has moved for the limit, the exchange is aborted. Reads have the socket's read timeout, but a write to a server
 * that stops reading blocks with no timeout of its own, so a request body would otherwise hang the client forever.
 */
final class StallWatch implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("git-theta-lfs-stall-watch").factory());

    private final long limitNanos;
    private final Duration limit;
    private final ScheduledFuture<?> check;
    private volatile long lastActivity = System.nanoTime();
    private volatile Runnable abort = () -> {};
    private volatile boolean stalled;

    StallWatch(Duration limit) {
        this.limit = limit;
        this.limitNanos = limit.toNanos();
        long period = Math.clamp(limitNanos / 4, TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(1));
        this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    /** Bytes moved: the exchange is alive. */
    void activity() {
        lastActivity = System.nanoTime();
    }

    /** What to do when the exchange stalls: close its connection. */
    void onStall(Runnable abort) {
        this.abort = abort;
        if (stalled) abort.run();
    }

    boolean stalled() {
        return stalled;
    }

    /** The reason, for messages. */
    String describe() {
        String amount = limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms";
        return "no data moved for " + amount + " (lfs.activitytimeout)";
    }

    private void check() {
        if (stalled || System.nanoTime() - lastActivity <= limitNanos) return;
        stalled = true;
        abort.run();
    }

    @Override
    public void close() {
        check.cancel(false);
    }
}
