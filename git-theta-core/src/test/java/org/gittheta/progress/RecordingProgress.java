package org.gittheta.progress;

import java.util.ArrayList;
import java.util.List;

/** Progress that records each finished task as {@code <label>: <done> of <total>}. */
public final class RecordingProgress implements Progress {
    private final List<String> finished = new ArrayList<>();

    @Override
    public Task start(String label, long total, int items) {
        return new Task() {
            private long done;

            @Override
            public synchronized void advance(long n) {
                done += n;
            }

            @Override
            public void close() {
                synchronized (finished) {
                    finished.add(label + ": " + done + " of " + total);
                }
            }
        };
    }

    /** The tasks closed so far, in the order they closed. */
    public List<String> finished() {
        synchronized (finished) {
            return List.copyOf(finished);
        }
    }
}
