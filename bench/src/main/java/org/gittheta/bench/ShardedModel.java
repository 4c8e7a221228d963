package org.gittheta.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;

/**
 * A sharded BF16 model for bench/sharded.sh: 24 parameters {@code layers.NN.weight} of the same values whatever the
 * number of shards, written as {@code model-0000k-of-0000n.safetensors} plus {@code model.safetensors.index.json}
 * (earlier {@code model*} files in the folder are removed first). With {@code tuned}, 0.1 % of the elements of
 * {@code layers.05.weight} change in their last bit.
 * Usage: {@code ShardedModel <dir> <shards> <MiB per shard of the 3-shard layout> [tuned]}.
 */
public final class ShardedModel {
    private static final int PARAMS = 24;
    private static final String TUNED = "layers.05.weight";

    private ShardedModel() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 4 || args.length == 4 && !args[3].equals("tuned")) {
            System.err.println("usage: ShardedModel <dir> <shards> <MiB per shard> [tuned]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        int shards = Integer.parseInt(args[1]);
        long elements = Long.parseLong(args[2]) * 3 * (1 << 20) / PARAMS / 2; // per parameter: 3 shards of bytes
        boolean tuned = args.length == 4;
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "model*")) {
            for (Path p : old) Files.delete(p);
        }
        StringJoiner weightMap = new StringJoiner(
                ",\n    ",
                "{\n  \"metadata\": {\"total_size\": " + 2 * elements * PARAMS + "},\n  \"weight_map\": {\n    ",
                "\n  }\n}\n");
        for (int k = 0; k < shards; k++) {
            String file = String.format("model-%05d-of-%05d.safetensors", k + 1, shards);
            List<SafetensorsWriter.Tensor> part = new ArrayList<>();
            for (int i = k * PARAMS / shards; i < (k + 1) * PARAMS / shards; i++) {
                String name = String.format("layers.%02d.weight", i);
                int seed = i;
                boolean changed = tuned && name.equals(TUNED);
                part.add(new SafetensorsWriter.Tensor(
                        name, DType.BF16, Shape.of(elements), out -> values(out, seed, elements, changed)));
                weightMap.add("\"" + name + "\": \"" + file + "\"");
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(file)), 1 << 20)) {
                SafetensorsWriter.write(part, Map.of("format", "pt"), out);
            }
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), weightMap.toString(), StandardCharsets.UTF_8);
    }

    /** Normal values rounded to BF16; a tuned parameter has every 1000th element's last bit flipped. */
    private static void values(OutputStream out, int seed, long elements, boolean tuned) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[1 << 16];
        int at = 0;
        for (long e = 0; e < elements; e++) {
            int bf16 = Floats.floatToBf16((float) random.nextGaussian());
            if (tuned && e % 1000 == 0) bf16 ^= 1;
            chunk[at++] = (byte) bf16;
            chunk[at++] = (byte) (bf16 >>> 8);
            if (at == chunk.length) {
                out.write(chunk);
                at = 0;
            }
        }
        out.write(chunk, 0, at);
    }
}
