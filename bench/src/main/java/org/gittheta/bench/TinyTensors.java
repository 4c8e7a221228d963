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
 * A checkpoint of many tiny tensors, where per-tensor overhead is all that counts: {@code count} f32 tensors
 * {@code blocks.NNN.pNNN} of 4 to 19 elements, each with its own random values (nothing deduplicates), so
 * 200,000 of them are ~9 MiB of values under an ~11 MiB header. {@code variant} changes every 100th tensor.
 * Usage: {@code TinyTensors <count> [<variant>, default 0] [<out>, default model.safetensors]}.
 */
public final class TinyTensors {
    private TinyTensors() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: TinyTensors <count> [<variant>] [<out>]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[0]);
        long variant = args.length > 1 ? Long.parseLong(args[1]) : 0;
        Path file = Path.of(args.length > 2 ? args[2] : "model.safetensors");
        List<SafetensorsWriter.Tensor> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long seed = i * 7919L + (i % 100 == 0 ? variant : 0);
            int elements = 4 + i % 16;
            list.add(new SafetensorsWriter.Tensor(
                    String.format("blocks.%03d.p%03d", i / 1000, i % 1000),
                    DType.F32,
                    Shape.of(elements),
                    out -> writeTensor(out, seed, elements)));
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            SafetensorsWriter.write(list, Map.of(), out);
        }
    }

    private static void writeTensor(OutputStream out, long seed, int elements) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] data = new byte[elements * 4];
        for (int i = 0; i < elements; i++) {
            int bits = Float.floatToIntBits((float) random.nextGaussian());
            for (int b = 0; b < 4; b++) data[i * 4 + b] = (byte) (bits >>> (8 * b));
        }
        out.write(data);
    }
}
