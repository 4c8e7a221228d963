package org.gittheta.transfer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A response body whose reads count as activity and fail, rather than block, once the exchange stalls. */
final class WatchedBody extends FilterInputStream {
    private final StallWatch watch;

    WatchedBody(InputStream in, StallWatch watch) {
        super(in);
        this.watch = watch;
        watch.activity();
        watch.onStall(this::abort);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkAlive();
        int n;
        try {
            n = super.read(b, off, len);
        } catch (IOException e) {
            checkAlive();
            throw e;
        }
        checkAlive(); // closing a stalled body makes the read end as if the body were complete
        if (n > 0) watch.activity();
        return n;
    }

    private void checkAlive() throws IOException {
        if (watch.stalled()) throw new IOException(watch.describe());
    }

    private void abort() {
        try {
            in.close();
        } catch (IOException ignored) {
            // the read it unblocks reports the stall
        }
    }

    @Override
    public void close() throws IOException {
        watch.close();
        super.close();
    }
}
