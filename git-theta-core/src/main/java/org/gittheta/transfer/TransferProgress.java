package org.gittheta.transfer;

/** Told about a transfer as it goes, from several threads at once; the CLI draws it on a terminal. */
public interface TransferProgress {
    void begin(String verb, int objects, long bytes);

    void bytes(long n);

    void objectDone();

    void end();

    TransferProgress QUIET = new TransferProgress() {
        @Override public void begin(String verb, int objects, long bytes) {}

        @Override public void bytes(long n) {}

        @Override public void objectDone() {}

        @Override public void end() {}
    };
}
