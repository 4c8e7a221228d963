package org.gittheta.store;

import java.io.IOException;

/**
 * One byte stream inside an object (a dense object has one: the values; a sparse delta has indices and
 * values). It is stored in chunks, each compressed on its own, so that large tensors stream and
 * compress in parallel.
 *
 * @param length       bytes in the stream
 * @param elementWidth the unit of byte shuffling
 * @param source       produces the stream's bytes
 */
public record Section(long length, int elementWidth, Source source) {
    /** Fills {@code dst[0..len)} with the bytes at {@code offset}; called from several threads at once. */
    @FunctionalInterface
    public interface Source {
        void read(long offset, byte[] dst, int len) throws IOException;
    }
}
