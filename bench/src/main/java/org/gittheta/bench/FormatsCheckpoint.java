package org.gittheta.bench;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.testdata.TorchZipWriter;

/**
 * Writes one model in three formats, for bench/formats.sh: {@code FormatsCheckpoint <dir> <MiB> [tuned]} writes
 * {@code pytorch_model.bin} (torch.save layout, BF16), {@code model.safetensors} (the same BF16 values) and
 * {@code model.gguf} (those values converted to F16). With {@code tuned}, 1 % of the tensors take a fine-tune step.
 */
public final class FormatsCheckpoint {
    private FormatsCheckpoint() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3 || args.length == 3 && !args[2].equals("tuned")) {
            System.err.println("usage: FormatsCheckpoint <dir> <MiB> [tuned]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        DemoModel model = DemoModel.ofSize(Long.parseLong(args[1]) << 20);
        Set<String> tuned = args.length == 3 ? GenerateModel.tuned(model, 0.01) : Set.of();
        List<SafetensorsWriter.Tensor> bf16 = model.tensors(tuned::contains, 0.01, 1.0, 7);
        try (OutputStream out = buffered(dir.resolve("pytorch_model.bin"))) {
            TorchZipWriter.write("pytorch_model", bf16, out);
        }
        try (OutputStream out = buffered(dir.resolve("model.safetensors"))) {
            SafetensorsWriter.write(bf16, Map.of("format", "pt"), out);
        }
        List<SafetensorsWriter.Tensor> f16 = bf16.stream()
                .map(t -> new SafetensorsWriter.Tensor(
                        t.name(), DType.F16, t.shape(), out -> t.values().writeTo(new Bf16ToF16(out))))
                .toList();
        try (OutputStream out = buffered(dir.resolve("model.gguf"))) {
            GgufWriter.write("llama", f16, out);
        }
    }

    private static OutputStream buffered(Path file) throws IOException {
        return new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
    }

    /** Rewrites little-endian BF16 elements as F16 ones (rounded to nearest even); callers write whole elements. */
    private static final class Bf16ToF16 extends FilterOutputStream {
        Bf16ToF16(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            byte[] converted = new byte[len];
            for (int i = 0; i + 1 < len; i += 2) {
                short bits = (short) ((b[off + i] & 0xFF) | b[off + i + 1] << 8);
                short half = Floats.floatToF16(Floats.bf16ToFloat(bits));
                converted[i] = (byte) half;
                converted[i + 1] = (byte) (half >> 8);
            }
            out.write(converted, 0, len);
        }

        @Override
        public void close() {}
    }
}
