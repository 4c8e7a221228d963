package org.gittheta.cli.demo;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;

/**
 * A small LLaMA-shaped bf16 checkpoint with deterministic weights, and fine-tunes of it: what the demo
 * and benchmarks commit. A fine-tune perturbs the chosen tensors the way a training step does.
 */
public final class DemoModel {
    private final int hidden;
    private final int intermediate;
    private final int layers;
    private final int vocab;

    public DemoModel(int hidden, int intermediate, int layers, int vocab) {
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.layers = layers;
        this.vocab = vocab;
    }

    public static DemoModel small() {
        return new DemoModel(256, 688, 4, 2048);
    }

    /** A model of about {@code bytes} bytes: LLaMA-7B proportions, more layers for more size. */
    public static DemoModel ofSize(long bytes) {
        DemoModel unit = new DemoModel(1024, 2752, 1, 16000);
        long perLayer = unit.byteSize() - new DemoModel(1024, 2752, 0, 16000).byteSize();
        long rest = bytes - new DemoModel(1024, 2752, 0, 16000).byteSize();
        return new DemoModel(1024, 2752, (int) Math.max(1, rest / perLayer), 16000);
    }

    public long byteSize() {
        return params().stream().mapToLong(p -> p.shape().numel() * 2).sum();
    }

    public record Param(String name, Shape shape) {}

    public List<Param> params() {
        List<Param> p = new ArrayList<>();
        p.add(new Param("model.embed_tokens.weight", Shape.of(vocab, hidden)));
        for (int l = 0; l < layers; l++) {
            String prefix = "model.layers." + l + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                p.add(new Param(prefix + "self_attn." + proj + ".weight", Shape.of(hidden, hidden)));
            }
            p.add(new Param(prefix + "mlp.gate_proj.weight", Shape.of(intermediate, hidden)));
            p.add(new Param(prefix + "mlp.up_proj.weight", Shape.of(intermediate, hidden)));
            p.add(new Param(prefix + "mlp.down_proj.weight", Shape.of(hidden, intermediate)));
            p.add(new Param(prefix + "input_layernorm.weight", Shape.of(hidden)));
            p.add(new Param(prefix + "post_attention_layernorm.weight", Shape.of(hidden)));
        }
        p.add(new Param("model.norm.weight", Shape.of(hidden)));
        p.add(new Param("lm_head.weight", Shape.of(vocab, hidden)));
        return p;
    }

    /**
     * Writes the base weights, with the tensors {@code tuned} selects moved by a fine-tune step of relative
     * size {@code step} (seeded by {@code tuneSeed}).
     */
    public void write(Path file, Predicate<String> tuned, double step, long tuneSeed) throws IOException {
        write(file, tuned, step, 1.0, tuneSeed);
    }

    /** As above, moving only a random {@code fraction} of each tuned tensor's elements. */
    public void write(Path file, Predicate<String> tuned, double step, double fraction, long tuneSeed)
            throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            SafetensorsWriter.write(tensors(tuned, step, fraction, tuneSeed), Map.of("format", "pt"), out);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The BF16 tensors {@link #write} writes, their values generated when written (other formats' writers too). */
    public List<SafetensorsWriter.Tensor> tensors(
            Predicate<String> tuned, double step, double fraction, long tuneSeed) {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (Param p : params()) {
            boolean isTuned = tuned.test(p.name());
            tensors.add(new SafetensorsWriter.Tensor(
                    p.name(),
                    DType.BF16,
                    p.shape(),
                    out -> writeValues(out, p, isTuned ? step : 0, fraction, tuneSeed)));
        }
        return tensors;
    }

    private static void writeValues(OutputStream out, Param p, double step, double fraction, long tuneSeed)
            throws IOException {
        boolean norm = p.shape().rank() == 1;
        SplittableRandom base = new SplittableRandom(p.name().hashCode());
        SplittableRandom tune = new SplittableRandom(tuneSeed * 31 + p.name().hashCode());
        long n = p.shape().numel();
        byte[] buf = new byte[(int) Math.min(n, 1 << 15) * 2];
        int pos = 0;
        for (long i = 0; i < n; i++) {
            double w = norm ? 1.0 + 0.05 * base.nextGaussian() : 0.02 * base.nextGaussian();
            if (step != 0 && (fraction >= 1 || tune.nextDouble() < fraction))
                w += step * Math.abs(w) * tune.nextGaussian();
            short bits = Floats.floatToBf16((float) w);
            buf[pos++] = (byte) bits;
            buf[pos++] = (byte) (bits >> 8);
            if (pos == buf.length) {
                out.write(buf, 0, pos);
                pos = 0;
            }
        }
        out.write(buf, 0, pos);
    }
}
