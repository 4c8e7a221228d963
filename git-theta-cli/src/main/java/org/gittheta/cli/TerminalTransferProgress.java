package org.gittheta.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.gittheta.transfer.TransferProgress;

/** Objects, bytes and rate on one redrawn line of stderr, at most a few times a second; silent unless stderr is a terminal. */
final class TerminalTransferProgress implements TransferProgress {
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream err;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile String verb = "";
    private volatile int objects;
    private volatile long total;
    private volatile long started;
    private volatile long lastDraw;

    TerminalTransferProgress(PrintStream err) { this.err = err; }

    /** Progress on stderr when it is a terminal, nothing otherwise. */
    static TransferProgress forStderr() {
        return TerminalProgress.stderrIsTerminal() ? new TerminalTransferProgress(System.err) : TransferProgress.QUIET;
    }

    @Override public void begin(String verb, int objects, long bytes) {
        this.verb = verb;
        this.objects = objects;
        this.total = bytes;
        this.bytes.set(0);
        this.done.set(0);
        this.started = System.nanoTime();
        this.lastDraw = 0;
    }

    @Override public void bytes(long n) {
        bytes.addAndGet(n);
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            draw(false);
        }
    }

    @Override public void objectDone() { done.incrementAndGet(); }

    @Override public void end() {
        if (objects > 0) draw(true);
    }

    private synchronized void draw(boolean last) {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        long b = bytes.get();
        int finished = done.get();
        err.printf("\r%s objects: %3d%% (%d/%d), %s / %s, %s/s%s", verb, TerminalProgress.percent(b, total),
                finished, objects, Sizes.human(b), Sizes.human(total), Sizes.human((long) (b / seconds)),
                !last ? "   " : finished == objects ? ", done.\n" : ", stopped.\n");
        err.flush();
    }
}
