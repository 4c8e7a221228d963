package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import org.gittheta.store.Ordered;

/**
 * Turns a decoder that pushes bytes into an OutputStream into an InputStream, through a small bounded queue
 * filled by a virtual thread: two stored versions can then be compared chunk by chunk side by side, with a
 * few MiB in flight whatever the parameter's size.
 */
final class DecodedStream extends InputStream {
    @FunctionalInterface
    interface Producer { void writeTo(OutputStream out) throws IOException; }

    private static final int BLOCK = 1 << 20;
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(4);
    private Future<Void> producer;
    private byte[] current = new byte[0];
    private int pos;
    private boolean ended;

    private DecodedStream() {}

    static DecodedStream start(Producer p) {
        DecodedStream s = new DecodedStream();
        s.producer = Ordered.submit(() -> {
            QueueOutput out = s.new QueueOutput();
            try {
                p.writeTo(out);
                out.flushBlock();
            } finally {
                // also after a failure: the reader wakes up and gets the failure from this future
                out.put(END);
            }
            return null;
        });
        return s;
    }

    @Override public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pos == current.length) {
            if (ended) return -1;
            try {
                current = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while decoding");
            }
            pos = 0;
            if (current == END) {
                ended = true;
                Ordered.await(producer); // rethrows the decoder's failure, if any
                return -1;
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Stops the decoder if the reader gives up early. */
    @Override public void close() {
        if (!ended) producer.cancel(true);
    }

    private final class QueueOutput extends OutputStream {
        private final byte[] buf = new byte[BLOCK];
        private int n;

        @Override public void write(int b) throws IOException {
            if (n == buf.length) flushBlock();
            buf[n++] = (byte) b;
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (n == buf.length) flushBlock();
                int k = Math.min(len, buf.length - n);
                System.arraycopy(b, off, buf, n, k);
                n += k;
                off += k;
                len -= k;
            }
        }

        private void flushBlock() throws IOException {
            if (n == 0) return;
            put(Arrays.copyOf(buf, n));
            n = 0;
        }

        private void put(byte[] block) throws IOException {
            try {
                queue.put(block);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("decoding cancelled");
            }
        }
    }
}
