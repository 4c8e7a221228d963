package org.gittheta.progress;

/**
 * Where long operations report how far they are (clean, smudge, transfers); the command line shows it on a
 * terminal, nothing else does.
 */
public interface Progress {
    /** Starts reporting on one piece of work of {@code total} units (bytes). */
    default Task start(String label, long total) {
        return start(label, total, 0);
    }

    /** Starts reporting on work of {@code total} bytes made of {@code items} objects (0: not counted). */
    Task start(String label, long total, int items);

    /** One piece of work under way; {@link #close()} when it ends, successfully or not. */
    interface Task extends AutoCloseable {
        /** {@code done} more units are finished (negative: a retry starts over); may be called from several threads. */
        void advance(long done);

        /** One more of the items is finished. */
        default void itemDone() {}

        @Override
        void close();
    }

    Progress NONE = (label, total, items) -> new Task() {
        @Override
        public void advance(long done) {}

        @Override
        public void close() {}
    };
}
