package org.gittheta.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;

/** Writes float weights as a bf16 safetensors file, for tests that compute expected values in float. */
final class Bf16Checkpoints {
    private Bf16Checkpoints() {}

    static void write(Path file, Map<String, float[]> weights, Map<String, Shape> shapes, Map<String, String> metadata)
            throws IOException {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        weights.forEach((name, w) ->
                tensors.add(new SafetensorsWriter.Tensor(name, DType.BF16, shapes.get(name), out -> {
                    byte[] b = new byte[w.length * 2];
                    for (int i = 0; i < w.length; i++) {
                        short s = Floats.floatToBf16(w[i]);
                        b[2 * i] = (byte) s;
                        b[2 * i + 1] = (byte) (s >> 8);
                    }
                    out.write(b);
                })));
        try (OutputStream out = Files.newOutputStream(file)) {
            SafetensorsWriter.write(tensors, metadata, out);
        }
    }
}
