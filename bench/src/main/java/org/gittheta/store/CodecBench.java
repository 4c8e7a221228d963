package org.gittheta.store;

import java.util.concurrent.TimeUnit;
import org.gittheta.bench.Samples;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** A 1 MiB chunk of bf16 weights through a codec, as the store writes and reads it (shuffle included). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CodecBench {
    @Param({"ZSTD", "LZ4"})
    public Codec codec;

    private byte[] chunk;
    private Codec.Chunk encoded;
    private byte[] decoded;

    @Setup
    public void setUp() {
        chunk = Samples.bf16Weights(Samples.CHUNK_BYTES, 1);
        encoded = codec.encode(chunk, chunk.length, 2);
        if (encoded.codec() != codec) throw new IllegalStateException(codec + " did not compress the chunk");
        decoded = new byte[chunk.length];
    }

    /** Shuffle (width 2) and compress. */
    @Benchmark
    public Codec.Chunk encode() {
        return codec.encode(chunk, chunk.length, 2);
    }

    /** Decompress and unshuffle. */
    @Benchmark
    public byte[] decode() {
        codec.decode(encoded.data(), encoded.length(), decoded, decoded.length, 2);
        return decoded;
    }
}
