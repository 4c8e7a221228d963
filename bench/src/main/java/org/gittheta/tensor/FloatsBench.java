package org.gittheta.tensor;

import java.util.concurrent.TimeUnit;
import org.gittheta.bench.Samples;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Half-precision conversions of 512 Ki elements (a 1 MiB chunk of 16-bit values). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FloatsBench {
    private static final int COUNT = Samples.CHUNK_BYTES / 2;

    private float[] floats;
    private short[] bf16;
    private short[] f16;
    private final float[] floatsOut = new float[COUNT];
    private final short[] halvesOut = new short[COUNT];

    @Setup
    public void setUp() {
        floats = Samples.floatWeights(COUNT, 1);
        bf16 = new short[COUNT];
        f16 = new short[COUNT];
        for (int i = 0; i < COUNT; i++) {
            bf16[i] = Floats.floatToBf16(floats[i]);
            f16[i] = Floats.floatToF16(floats[i]);
        }
    }

    @Benchmark
    public float[] bf16ToFloat() {
        for (int i = 0; i < COUNT; i++) floatsOut[i] = Floats.bf16ToFloat(bf16[i]);
        return floatsOut;
    }

    @Benchmark
    public short[] floatToBf16() {
        for (int i = 0; i < COUNT; i++) halvesOut[i] = Floats.floatToBf16(floats[i]);
        return halvesOut;
    }

    @Benchmark
    public float[] f16ToFloat() {
        for (int i = 0; i < COUNT; i++) floatsOut[i] = Floats.f16ToFloat(f16[i]);
        return floatsOut;
    }

    @Benchmark
    public short[] floatToF16() {
        for (int i = 0; i < COUNT; i++) halvesOut[i] = Floats.floatToF16(floats[i]);
        return halvesOut;
    }
}
