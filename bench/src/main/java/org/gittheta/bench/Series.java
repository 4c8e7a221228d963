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
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;

/**
 * Writes the deterministic version series of {@code bench/run}: {@code Series <dir> <MiB>} writes
 * {@code v1.safetensors} … {@code v8.safetensors}, a LLaMA-shaped bf16 model and seven later versions of it:
 * <ol>
 *   <li>base</li>
 *   <li>sparse step: 0.08 % of the elements moved</li>
 *   <li>dense step on v2: every element moved by a small relative step (most bf16 values round back)</li>
 *   <li>a rank-8 LoRA merged into the attention q and v projections of v3</li>
 *   <li>a head change: only {@code lm_head.weight} of v4 moves</li>
 *   <li>a revert: exactly v3 again</li>
 *   <li>a dense step on v6</li>
 *   <li>a dense step on v7</li>
 * </ol>
 * All versions are computed in one pass over the tensors, one tensor in memory at a time.
 */
public final class Series {
    static final int VERSIONS = 8;
    private static final double SPARSE_FRACTION = 0.0008;
    private static final double DENSE_STEP = 2.5e-3;
    private static final int LORA_RANK = 8;

    private Series() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Series <dir> <MiB>");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        write(dir, DemoModel.ofSize(Long.parseLong(args[1]) << 20));
    }

    static void write(Path dir, DemoModel model) throws IOException {
        List<DemoModel.Param> params = model.params();
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (DemoModel.Param p : params)
            tensors.add(new SafetensorsWriter.Tensor(p.name(), DType.BF16, p.shape(), out -> {}));
        byte[] header = SafetensorsWriter.header(tensors, Map.of("format", "pt"));
        List<OutputStream> outs = new ArrayList<>();
        try {
            for (int v = 1; v <= VERSIONS; v++) {
                OutputStream out =
                        new BufferedOutputStream(Files.newOutputStream(dir.resolve("v" + v + ".safetensors")), 1 << 20);
                outs.add(out);
                out.write(header);
            }
            for (int i = 0; i < params.size(); i++) writeTensor(params.get(i), i, outs);
        } finally {
            for (OutputStream out : outs) out.close();
        }
    }

    private static void writeTensor(DemoModel.Param p, int index, List<OutputStream> outs) throws IOException {
        float[] w = base(p, index);
        byte[] bytes = new byte[w.length * 2];
        emit(w, bytes, outs.get(0));
        sparseStep(w, new SplittableRandom(index * 8L + 2));
        emit(w, bytes, outs.get(1));
        denseStep(w, new SplittableRandom(index * 8L + 3));
        emit(w, bytes, outs.get(2));
        float[] v3 = w.clone();
        if (p.name().endsWith("q_proj.weight") || p.name().endsWith("v_proj.weight")) {
            lora(w, (int) p.shape().dim(0), new SplittableRandom(index * 8L + 4));
        }
        emit(w, bytes, outs.get(3));
        if (p.name().equals("lm_head.weight")) denseStep(w, new SplittableRandom(index * 8L + 5));
        emit(w, bytes, outs.get(4));
        w = v3;
        emit(w, bytes, outs.get(5));
        denseStep(w, new SplittableRandom(index * 8L + 7));
        emit(w, bytes, outs.get(6));
        denseStep(w, new SplittableRandom(index * 8L + 8));
        emit(w, bytes, outs.get(7));
    }

    private static float[] base(DemoModel.Param p, int index) {
        boolean norm = p.shape().rank() == 1;
        SplittableRandom r = new SplittableRandom(index * 8L + 1);
        float[] w = new float[Math.toIntExact(p.shape().numel())];
        for (int i = 0; i < w.length; i++) w[i] = round(norm ? 1.0 + 0.05 * r.nextGaussian() : 0.02 * r.nextGaussian());
        return w;
    }

    private static void sparseStep(float[] w, SplittableRandom r) {
        long moves = Math.max(1, Math.round(w.length * SPARSE_FRACTION));
        for (long k = 0; k < moves; k++) {
            int i = r.nextInt(w.length);
            w[i] = round(w[i] + 0.05 * Math.abs(w[i]) * r.nextGaussian());
        }
    }

    private static void denseStep(float[] w, SplittableRandom r) {
        for (int i = 0; i < w.length; i++) w[i] = round(w[i] + DENSE_STEP * Math.abs(w[i]) * r.nextGaussian());
    }

    /** w += B·A for random B [rows, r] and A [r, cols], scaled like a trained adapter's update. */
    private static void lora(float[] w, int rows, SplittableRandom r) {
        int cols = w.length / rows;
        float[] b = new float[rows * LORA_RANK];
        float[] a = new float[LORA_RANK * cols];
        for (int i = 0; i < b.length; i++) b[i] = (float) (0.01 * r.nextGaussian());
        for (int i = 0; i < a.length; i++) a[i] = (float) (0.01 * r.nextGaussian());
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                float s = 0;
                for (int k = 0; k < LORA_RANK; k++) s += b[row * LORA_RANK + k] * a[k * cols + col];
                w[row * cols + col] = round(w[row * cols + col] + s);
            }
        }
    }

    /** Keeps values on the bf16 grid, so that equal floats mean equal stored bytes. */
    private static float round(double v) {
        return Floats.bf16ToFloat(Floats.floatToBf16((float) v));
    }

    private static void emit(float[] w, byte[] bytes, OutputStream out) throws IOException {
        for (int i = 0; i < w.length; i++) {
            short bits = Floats.floatToBf16(w[i]);
            bytes[2 * i] = (byte) bits;
            bytes[2 * i + 1] = (byte) (bits >> 8);
        }
        out.write(bytes);
    }
}
