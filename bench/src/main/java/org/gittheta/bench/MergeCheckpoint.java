package org.gittheta.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;

/**
 * The checkpoints of bench/merge-bench.sh: {@code tensors} bf16 tensors {@code layers.<i>.w} of 4096 x 2048 (16 MiB
 * each). Base weights N(0, 0.02) from seed i; a fine-tune adds 1 % relative noise drawn from {@code seed}; with
 * {@code fisher}, f32 squared-noise tensors of the same names instead (the Fisher file of that fine-tune).
 * Usage: {@code MergeCheckpoint <out> <seed> <tune 0|1> [fisher] } (environment TENSORS, default 16).
 */
public final class MergeCheckpoint {
    private static final int ROWS = 4096;
    private static final int COLS = 2048;

    private MergeCheckpoint() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 4 || (args.length == 4 && !args[3].equals("fisher"))) {
            System.err.println("usage: MergeCheckpoint <out> <seed> <tune 0|1> [fisher]");
            System.exit(2);
        }
        long seed = Long.parseLong(args[1]);
        boolean tune = !args[2].equals("0");
        boolean fisher = args.length == 4;
        int tensors = Integer.parseInt(System.getenv().getOrDefault("TENSORS", "16"));
        List<SafetensorsWriter.Tensor> list = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            long index = i;
            list.add(new SafetensorsWriter.Tensor(
                    "layers." + i + ".w",
                    fisher ? DType.F32 : DType.BF16,
                    Shape.of(ROWS, COLS),
                    out -> writeTensor(out, index, seed, tune, fisher)));
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(args[0])), 1 << 20)) {
            SafetensorsWriter.write(list, Map.of(), out);
        }
    }

    private static void writeTensor(OutputStream out, long index, long seed, boolean tune, boolean fisher)
            throws IOException {
        SplittableRandom base = new SplittableRandom(index);
        SplittableRandom noise = new SplittableRandom(seed * 1000 + index);
        ByteBuffer row = ByteBuffer.allocate(COLS * (fisher ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < ROWS; r++) {
            row.clear();
            for (int c = 0; c < COLS; c++) {
                float w = (float) (0.02 * base.nextGaussian());
                float n = (float) noise.nextGaussian();
                if (fisher) row.putFloat(n * n);
                else row.putShort(Floats.floatToBf16(tune ? w + 0.01f * Math.abs(w) * n : w));
            }
            out.write(row.array(), 0, row.position());
        }
    }
}
