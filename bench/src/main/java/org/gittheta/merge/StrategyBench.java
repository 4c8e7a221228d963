package org.gittheta.merge;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.TensorView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The strategies' arithmetic on one parameter of bench/merge-bench.sh's checkpoint (4096 x 2048 bf16, 16 MiB): a
 * base and two fine-tunes with 1 % relative noise, f32 Fisher values; values in native memory, as the merge driver
 * decodes them. One merge per call, on every core.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StrategyBench {
    private static final int COUNT = 4096 * 2048;
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private MergeInput input;
    private TensorView out;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        MemorySegment base = arena.allocate(COUNT * 2L);
        float[] weights = new float[COUNT];
        for (int i = 0; i < COUNT; i++) {
            weights[i] = (float) (0.02 * random.nextGaussian());
            base.setAtIndex(BF16, i, Floats.floatToBf16(weights[i]));
        }
        MergeInput.Model[] models = new MergeInput.Model[2];
        for (int j = 0; j < 2; j++) {
            MemorySegment tune = arena.allocate(COUNT * 2L);
            MemorySegment fisher = arena.allocate(COUNT * 4L);
            for (int i = 0; i < COUNT; i++) {
                double noise = 0.01 * random.nextGaussian();
                tune.setAtIndex(BF16, i, Floats.floatToBf16((float) (weights[i] * (1 + noise))));
                fisher.setAtIndex(F32, i, (float) (noise * noise));
            }
            models[j] = new MergeInput.Model(
                    j, new TensorView(tune, DType.BF16), Optional.of(new TensorView(fisher, DType.F32)));
        }
        input = new MergeInput("w", Optional.of(new TensorView(base, DType.BF16)), List.of(models), 2);
        out = new TensorView(arena.allocate(COUNT * 2L), DType.BF16);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public TensorView ties() {
        new Ties(PerModel.of(0.2), PerModel.of(1)).merge(input, out);
        return out;
    }

    @Benchmark
    public TensorView fisher() {
        new FisherMerge(PerModel.of(1), 1e-6).merge(input, out);
        return out;
    }

    @Benchmark
    public TensorView taskArithmetic() {
        new TaskArithmetic(PerModel.of(1)).merge(input, out);
        return out;
    }
}
