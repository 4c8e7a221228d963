package org.gittheta.transfer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;

/**
 * A response body read from a socket whose read timeout is the activity timeout: a read that times out fails
 * with the activity timeout's message (what {@code lfs.activitytimeout} to raise) instead of the socket's.
 */
final class WatchedBody extends FilterInputStream {
    private final StallWatch watch;

    WatchedBody(InputStream in, StallWatch watch) {
        super(in);
        this.watch = watch;
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (SocketTimeoutException e) {
            throw new IOException(watch.describe(), e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (SocketTimeoutException e) {
            throw new IOException(watch.describe(), e);
        }
    }
}
