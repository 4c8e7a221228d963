package org.gittheta.bench;

import java.util.SplittableRandom;
import org.gittheta.tensor.Floats;

/** Deterministic inputs for the JMH benchmarks: weights as a trained checkpoint holds them (N(0, 0.02)). */
public final class Samples {
    /** The chunk size of the object store and the filter's buffers. */
    public static final int CHUNK_BYTES = 1 << 20;

    private Samples() {}

    /** {@code bytes / 2} little-endian bf16 weights. */
    public static byte[] bf16Weights(int bytes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] out = new byte[bytes];
        for (int i = 0; i + 1 < bytes; i += 2) {
            short bits = Floats.floatToBf16((float) (0.02 * random.nextGaussian()));
            out[i] = (byte) bits;
            out[i + 1] = (byte) (bits >> 8);
        }
        return out;
    }

    /** {@code count} float32 weights. */
    public static float[] floatWeights(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = (float) (0.02 * random.nextGaussian());
        return out;
    }
}
