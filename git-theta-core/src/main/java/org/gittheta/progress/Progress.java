package org.gittheta.progress;

/** Where long operations report how far they are; the command line shows it on a terminal, nothing else does. */
public interface Progress {
    /** Starts reporting on one piece of work of {@code total} units (bytes, objects). */
    Task start(String label, long total);

    /** One piece of work under way; {@link #close()} when it ends, successfully or not. */
    interface Task extends AutoCloseable {
        /** {@code done} more units are finished; may be called from several threads. */
        void advance(long done);

        @Override void close();
    }

    Progress NONE = (label, total) -> new Task() {
        @Override public void advance(long done) {}

        @Override public void close() {}
    };
}
