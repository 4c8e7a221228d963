package org.gittheta.store;

import com.github.luben.zstd.ZstdDecompressCtx;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What decoding one chunk needs besides its input and output, reused from chunk to chunk: a chunk-sized buffer for
 * the decompressed (still shuffled) bytes and a zstd context. Allocating both per chunk made the heap grow with the
 * checkpoint being checked out (ParallelGC grows the heap rather than collect often). Taken from a pool and closed
 * back into it; the pool holds as many as were ever in use at once.
 */
final class DecodeScratch implements AutoCloseable {
    private static final ConcurrentLinkedQueue<DecodeScratch> POOL = new ConcurrentLinkedQueue<>();

    private final byte[] buffer = new byte[ObjectFormat.CHUNK_SIZE];
    private ZstdDecompressCtx zstd;

    private DecodeScratch() {}

    static DecodeScratch take() {
        DecodeScratch s = POOL.poll();
        return s != null ? s : new DecodeScratch();
    }

    /** A buffer of at least {@code length} bytes: a stored chunk decodes to at most {@link ObjectFormat#CHUNK_SIZE}. */
    byte[] buffer(int length) {
        return length <= buffer.length ? buffer : new byte[length];
    }

    ZstdDecompressCtx zstd() {
        if (zstd == null) zstd = new ZstdDecompressCtx();
        return zstd;
    }

    @Override
    public void close() {
        POOL.offer(this);
    }
}
