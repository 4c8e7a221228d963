package org.gittheta.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The checkpoint of the history timings in docs/performance.md: {@code tensors} bf16 tensors {@code layers.NNN.weight}
 * of [1280, 1024] (2.5 MiB each; 400 = 1 GiB) of finite values in (-1, 1). Every 100th tensor depends on
 * {@code variant}, so two variants differ in 1 % of the parameters and bytes.
 * Usage: {@code HistoryCheckpoint <variant> <tensors> [<out>, default model.safetensors]}.
 */
public final class HistoryCheckpoint {
    private static final int ROWS = 1280;
    private static final int COLS = 1024;

    private HistoryCheckpoint() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: HistoryCheckpoint <variant> <tensors> [<out>]");
            System.exit(2);
        }
        long variant = Long.parseLong(args[0]);
        int tensors = Integer.parseInt(args[1]);
        Path file = Path.of(args.length == 3 ? args[2] : "model.safetensors");
        List<SafetensorsWriter.Tensor> list = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            long seed = i * 7919L + (i % 100 == 0 ? variant : 0);
            list.add(new SafetensorsWriter.Tensor(
                    String.format("layers.%03d.weight", i),
                    DType.BF16,
                    Shape.of(ROWS, COLS),
                    out -> writeTensor(out, seed)));
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            SafetensorsWriter.write(list, Map.of(), out);
        }
    }

    private static void writeTensor(OutputStream out, long seed) throws IOException {
        byte[] data = new byte[ROWS * COLS * 2];
        new SplittableRandom(seed).nextBytes(data);
        // high bytes: keep the sign, force a small exponent: finite values in (-1, 1), no NaNs
        for (int i = 1; i < data.length; i += 2) data[i] = (byte) ((data[i] & 0x80) | 0x3c | (data[i] & 0x02));
        out.write(data);
    }
}
