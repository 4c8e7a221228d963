package org.gittheta.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.cli.demo.DemoModel;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TensorSlot;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;

/**
 * Bytes stored and add/checkout times per fine-tune kind (issue 4); command in docs/performance.md.
 * Args: repo dir, hidden, intermediate, layers, vocab; runs {@code git} and {@code git theta} from the PATH.
 */
public final class UpdatesBench {
    private UpdatesBench() {}

    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static void main(String[] a) throws Exception {
        Path repo = Path.of(a[0]);
        DemoModel model = new DemoModel(
                Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
        Files.createDirectories(repo);
        Path file = repo.resolve("model.safetensors");
        sh(repo, "git", "init", "-q", "-b", "main");
        sh(repo, "git", "theta", "install", "--local");
        sh(repo, "git", "theta", "track", "*.safetensors");
        model.write(file, n -> false, 0, 1.0, 0);
        byte[] base = Files.readAllBytes(file);
        CheckpointLayout layout = SafetensorsFormat.INSTANCE.read("base", MemorySegment.ofArray(base));
        long t0 = System.nanoTime();
        sh(repo, "git", "add", ".gitattributes", "model.safetensors");
        System.out.printf(
                "base: file %,d bytes, add %.1f s, stored %,d bytes%n",
                base.length, (System.nanoTime() - t0) / 1e9, StoreFiles.bytes(repo.resolve(".git")));
        sh(repo, "git", "commit", "-q", "-m", "base");
        SplittableRandom rnd = new SplittableRandom(1);
        Path adapter = repo.getParent().resolve("adapter");
        for (String v : List.of("a-sparse", "b-perturb", "c-lora", "d-ia3")) {
            byte[] next = base.clone();
            MemorySegment seg = MemorySegment.ofArray(next);
            List<SafetensorsWriter.Tensor> factors = new ArrayList<>();
            int ti = 0;
            for (TensorSlot t : layout.tensors()) {
                MemorySegment w = seg.asSlice(t.offset(), t.length());
                long n = t.shape().numel();
                long cols = t.shape().rank() == 2 ? t.shape().dims()[1] : n;
                switch (v) {
                    case "a-sparse" -> {
                        if (ti % 10 == 0)
                            for (long i = 0; i < n / 100; i++) set(w, rnd.nextLong(n), get(w, rnd.nextLong(n)) * 1.01f);
                    }
                    case "b-perturb" -> {
                        for (long i = 0; i < n; i++) set(w, i, get(w, i) * (float) (1 + 1e-3 * rnd.nextGaussian()));
                    }
                    case "c-lora" -> {
                        if (t.name().contains("q_proj") || t.name().contains("v_proj")) lora(t, w, cols, rnd, factors);
                    }
                    case "d-ia3" -> {
                        if (t.shape().rank() == 2) {
                            float[] s = new float[(int) cols];
                            for (int j = 0; j < cols; j++) s[j] = (float) (1 + 0.1 * rnd.nextGaussian());
                            for (long i = 0; i < n; i++) set(w, i, get(w, i) * s[(int) (i % cols)]);
                        }
                    }
                    default -> throw new AssertionError(v);
                }
                ti++;
            }
            sh(repo, "git", "checkout", "-q", "main~0", "--", "model.safetensors");
            Files.write(file, next);
            List<String> add = new ArrayList<>(List.of("git", "theta", "add"));
            long adapterBytes = 0;
            if (!factors.isEmpty()) {
                Files.createDirectories(adapter);
                Files.writeString(
                        adapter.resolve("adapter_config.json"),
                        "{\"r\":16,\"lora_alpha\":32,\"target_modules\":[\"q_proj\",\"v_proj\"]}");
                try (var out = Files.newOutputStream(adapter.resolve("adapter_model.safetensors"))) {
                    SafetensorsWriter.write(factors, Map.of("format", "pt"), out);
                }
                adapterBytes = Files.size(adapter.resolve("adapter_model.safetensors"));
                add.addAll(List.of("--lora", adapter.toString()));
            }
            add.add("model.safetensors");
            long before = StoreFiles.bytes(repo.resolve(".git"));
            t0 = System.nanoTime();
            sh(repo, add.toArray(String[]::new));
            double addS = (System.nanoTime() - t0) / 1e9;
            long stored = StoreFiles.bytes(repo.resolve(".git")) - before;
            sh(repo, "git", "commit", "-q", "-m", v);
            String commit = sh(repo, "git", "rev-parse", "HEAD").strip();
            sh(repo, "git", "checkout", "-q", "main~1", "--", "model.safetensors");
            t0 = System.nanoTime();
            sh(repo, "git", "checkout", "-q", commit, "--", "model.safetensors");
            double coS = (System.nanoTime() - t0) / 1e9;
            if (!java.util.Arrays.equals(Files.readAllBytes(file), next))
                throw new IllegalStateException(v + ": checkout differs");
            String kinds = sh(repo, "git", "show", "HEAD:model.safetensors")
                    .lines()
                    .filter(l -> l.startsWith("param "))
                    .map(l -> l.replaceAll(".* update=([a-z0-9-]+) .*", "$1"))
                    .sorted()
                    .distinct()
                    .toList()
                    .toString();
            System.out.printf(
                    "%s: stored %,d bytes (%.2f%% of file)%s, add %.1f s, checkout %.1f s, kinds %s%n",
                    v,
                    stored,
                    100.0 * stored / base.length,
                    adapterBytes > 0
                            ? String.format(", adapter %,d bytes (%.2fx)", adapterBytes, (double) stored / adapterBytes)
                            : "",
                    addS,
                    coS,
                    kinds);
            sh(repo, "git", "reset", "-q", "--hard", "main~1");
        }
    }

    private static void lora(
            TensorSlot t, MemorySegment w, long cols, SplittableRandom rnd, List<SafetensorsWriter.Tensor> factors) {
        int r = 16;
        long rows = t.shape().dims()[0];
        float[] A = new float[(int) (r * cols)], B = new float[(int) (rows * r)];
        for (int i = 0; i < A.length; i++) A[i] = (float) (0.01 * rnd.nextGaussian());
        for (int i = 0; i < B.length; i++) B[i] = (float) (0.01 * rnd.nextGaussian());
        for (long o = 0; o < rows; o++) {
            for (long i = 0; i < cols; i++) {
                float d = 0;
                for (int k = 0; k < r; k++) d += B[(int) (o * r + k)] * A[(int) (k * cols + i)];
                set(w, o * cols + i, get(w, o * cols + i) + 2f * d);
            }
        }
        String m = "base_model.model." + t.name().replace(".weight", "");
        factors.add(f32(m + ".lora_A.weight", Shape.of(r, cols), A));
        factors.add(f32(m + ".lora_B.weight", Shape.of(rows, r), B));
    }

    private static SafetensorsWriter.Tensor f32(String name, Shape shape, float[] v) {
        return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> {
            var b = java.nio.ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            out.write(b.array());
        });
    }

    private static float get(MemorySegment w, long i) {
        return Floats.bf16ToFloat(w.get(S, i * 2));
    }

    private static void set(MemorySegment w, long i, float v) {
        w.set(S, i * 2, Floats.floatToBf16(v));
    }

    private static String sh(Path dir, String... cmd) throws IOException {
        return Command.of(cmd).in(dir).errorsIntoOutput().ok();
    }
}
