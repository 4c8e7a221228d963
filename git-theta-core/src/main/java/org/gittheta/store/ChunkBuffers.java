package org.gittheta.store;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.util.concurrent.ConcurrentLinkedQueue;
import net.jpountz.lz4.LZ4Factory;

/**
 * What encoding one chunk needs besides its input: room for its raw bytes, their shuffle and the compressed result,
 * and a zstd context. Reused from chunk to chunk through a pool rather than a thread-local, since chunks are encoded
 * on virtual threads that live for one chunk: a new 1 MiB array three times per chunk and a zstd context per call
 * cost about a fifth of the compression itself (profiled).
 */
final class ChunkBuffers implements AutoCloseable {
    /** Enough for every chunk in flight: tensors in flight times chunks in flight per tensor, with room to spare. */
    private static final int POOLED = 128;

    private static final ConcurrentLinkedQueue<ChunkBuffers> POOL = new ConcurrentLinkedQueue<>();

    final byte[] raw;
    final byte[] shuffled;
    final byte[] out;
    final ZstdCompressCtx zstd;

    private ChunkBuffers(int size, int zstdLevel) {
        raw = new byte[size];
        shuffled = new byte[size];
        out = new byte
                [Math.max(
                        (int) Zstd.compressBound(size),
                        LZ4Factory.fastestInstance().fastCompressor().maxCompressedLength(size))];
        zstd = new ZstdCompressCtx().setLevel(zstdLevel).setHashLog(Codec.ZSTD_HASH_LOG);
    }

    /** Buffers for a chunk of at most {@link ObjectFormat#CHUNK_SIZE} bytes, to be closed once its bytes are used. */
    static ChunkBuffers take(int zstdLevel) {
        ChunkBuffers b = POOL.poll();
        return b != null ? b : new ChunkBuffers(ObjectFormat.CHUNK_SIZE, zstdLevel);
    }

    /** Buffers for one chunk larger than pooled ones hold; closing them frees them. */
    static ChunkBuffers ofSize(int size, int zstdLevel) {
        return new ChunkBuffers(size, zstdLevel);
    }

    /** Back to the pool, for the next chunk. */
    @Override
    public void close() {
        if (raw.length == ObjectFormat.CHUNK_SIZE && POOL.size() < POOLED) {
            POOL.add(this);
        } else {
            zstd.close();
        }
    }
}
