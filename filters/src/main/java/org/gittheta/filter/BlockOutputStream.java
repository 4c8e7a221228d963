package org.gittheta.filter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/** An output stream that works on whole blocks: a single byte is a block of one, bounds are checked once here. */
abstract class BlockOutputStream extends OutputStream {
    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public final void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        writeBlock(b, off, len);
    }

    /** Writes {@code len} bytes of {@code b} from {@code off}, which lie within {@code b}. */
    abstract void writeBlock(byte[] b, int off, int len) throws IOException;
}
