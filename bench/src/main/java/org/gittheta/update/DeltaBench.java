package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.gittheta.bench.Samples;
import org.gittheta.store.ObjectId;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Delta encoding of a 1 MiB bf16 chunk against its previous version, 1 % of the elements changed. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DeltaBench {
    private static final ObjectId BASE = ObjectId.fromDigest(new byte[32]);

    private byte[] previous;
    private byte[] current;
    private byte[] residual;

    @Setup
    public void setUp() {
        previous = Samples.bf16Weights(Samples.CHUNK_BYTES, 1);
        current = previous.clone();
        SplittableRandom random = new SplittableRandom(2);
        for (int n = 0; n < current.length / 2 / 100; n++) current[2 * random.nextInt(current.length / 2)] ^= 1;
        residual = new byte[current.length];
    }

    /** The XOR residual of the chunk against the previous version. */
    @Benchmark
    public byte[] xorDelta() {
        System.arraycopy(current, 0, residual, 0, current.length);
        XorDelta.xor(residual, MemorySegment.ofArray(previous), 0, residual.length);
        return residual;
    }

    /** Finding the changed elements and building the sparse index. */
    @Benchmark
    public Optional<Encoding> sparseDelta() {
        return SparseDelta.find(
                MemorySegment.ofArray(current), MemorySegment.ofArray(previous), 2, current.length / 2, BASE);
    }
}
