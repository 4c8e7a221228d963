package org.gittheta.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.gittheta.progress.Progress;
import org.gittheta.text.Printable;

/**
 * Progress on standard error when it is a terminal: one line redrawn at most five times a second,
 * shown only for work that takes longer than half a second, counting objects too when the work has
 * them (transfers). Not on a terminal: nothing at all.
 */
final class TerminalProgress implements Progress {
    private static final long SHOW_AFTER_NANOS = 500_000_000L;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream err;
    private final long showAfterNanos;
    private final long redrawNanos;

    TerminalProgress(PrintStream err, long showAfterNanos, long redrawNanos) {
        this.err = err;
        this.showAfterNanos = showAfterNanos;
        this.redrawNanos = redrawNanos;
    }

    /** Progress for this process: on a terminal, or none. */
    static Progress forStderr() {
        return stderrIsTerminal() ? new TerminalProgress(System.err, SHOW_AFTER_NANOS, REDRAW_NANOS) : Progress.NONE;
    }

    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public Task start(String label, long total, int items) {
        long started = System.nanoTime();
        AtomicLong done = new AtomicLong();
        AtomicLong itemsDone = new AtomicLong();
        AtomicLong lastDrawn = new AtomicLong(started - redrawNanos);
        return new Task() {
            private volatile boolean shown;

            @Override
            public void advance(long n) {
                long now = System.nanoTime();
                long d = done.addAndGet(n);
                long last = lastDrawn.get();
                boolean due = now - started >= showAfterNanos && now - last >= redrawNanos;
                if (due && lastDrawn.compareAndSet(last, now)) {
                    draw(d, now);
                }
            }

            @Override
            public void itemDone() {
                itemsDone.incrementAndGet();
            }

            @Override
            public void close() {
                if (shown) {
                    draw(done.get(), System.nanoTime());
                    synchronized (err) {
                        err.print('\n');
                        err.flush();
                    }
                }
            }

            private void draw(long d, long now) {
                shown = true;
                double seconds = Math.max(1e-9, (now - started) / 1e9);
                String line = String.format(
                                "\rgit-theta: %s: %3d%% (%s / %s), %s/s",
                                Printable.escape(label),
                                percent(d, total),
                                Sizes.human(d),
                                Sizes.human(total),
                                Sizes.human((long) (d / seconds)))
                        + (items > 0 ? ", objects " + itemsDone.get() + "/" + items : "") + "   ";
                synchronized (err) {
                    err.print(line);
                    err.flush();
                }
            }
        };
    }

    static long percent(long done, long total) {
        return total <= 0 ? 100 : Math.min(100, done * 100 / total);
    }
}
