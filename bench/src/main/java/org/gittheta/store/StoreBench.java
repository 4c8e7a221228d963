package org.gittheta.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;
import org.gittheta.bench.Samples;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The object store's per-chunk work on a 1 MiB chunk of bf16 weights: hash and byte shuffle (codecs: CodecBench). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StoreBench {
    private byte[] chunk;
    private byte[] shuffled2;
    private byte[] shuffled4;
    private byte[] decoded;
    private MessageDigest sha256;

    @Setup
    public void setUp() throws NoSuchAlgorithmException {
        chunk = Samples.bf16Weights(Samples.CHUNK_BYTES, 1);
        shuffled2 = Shuffle.shuffle(chunk, chunk.length, 2);
        shuffled4 = Shuffle.shuffle(chunk, chunk.length, 4);
        decoded = new byte[chunk.length];
        sha256 = MessageDigest.getInstance("SHA-256");
    }

    @Benchmark
    public byte[] sha256() {
        return sha256.digest(chunk);
    }

    @Benchmark
    public byte[] shuffle2() {
        return Shuffle.shuffle(chunk, chunk.length, 2);
    }

    @Benchmark
    public byte[] shuffle4() {
        return Shuffle.shuffle(chunk, chunk.length, 4);
    }

    @Benchmark
    public byte[] unshuffle2() {
        Shuffle.unshuffle(shuffled2, shuffled2.length, 2, decoded);
        return decoded;
    }

    @Benchmark
    public byte[] unshuffle4() {
        Shuffle.unshuffle(shuffled4, shuffled4.length, 4, decoded);
        return decoded;
    }
}
