package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sequence of fine-tunes committed with real git, each checked out byte-identically in any order, also from a clone.
 */
class UpdatesEndToEndTest {
    private static final String Q = "model.layers.0.self_attn.q_proj",
            V = "model.layers.0.self_attn.v_proj",
            UP = "model.layers.0.mlp.up_proj";
    private static final int H = 64, I = 128, R = 4;

    @TempDir
    Path home;

    private final SplittableRandom rnd = new SplittableRandom(11);
    private final Map<String, float[]> weights = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();

    @Test
    void everyVersionChecksOutExactlyInAnyOrderAndAfterClone() throws Exception {
        Path repo = trackingRepo();
        for (var t : List.of(
                Map.entry(Q + ".weight", Shape.of(H, H)),
                Map.entry(V + ".weight", Shape.of(H, H)),
                Map.entry(UP + ".weight", Shape.of(I, H)),
                Map.entry("model.norm.weight", Shape.of(H)))) {
            shapes.put(t.getKey(), t.getValue());
            float[] w = new float[(int) t.getValue().numel()];
            for (int i = 0; i < w.length; i++) w[i] = bf16((float) (0.02 * rnd.nextGaussian()));
            weights.put(t.getKey(), w);
        }
        Path file = repo.resolve("model.safetensors");
        List<String> commits = new ArrayList<>(), hashes = new ArrayList<>();
        List<String> expectedKinds = new ArrayList<>();

        commit(repo, file, "base", commits, hashes, List.of("git", "add", ".gitattributes", "model.safetensors"));
        float[] up = weights.get(UP + ".weight");
        for (int i = 0; i < up.length; i += 100) up[i] = bf16(up[i] + 0.01f);
        commit(repo, file, "sparse change", commits, hashes, List.of("git", "add", "model.safetensors"));
        expectedKinds.add(UP + ".weight update=sparse");
        for (float[] w : weights.values())
            for (int i = 0; i < w.length; i++) w[i] = bf16(w[i] * (float) (1 + 1e-3 * rnd.nextGaussian()));
        commit(repo, file, "small perturbation", commits, hashes, List.of("git", "add", "model.safetensors"));
        Path adapter = loraMerged(home.resolve("adapter"));
        commit(
                repo,
                file,
                "lora merged",
                commits,
                hashes,
                List.of("git", "theta", "add", "--lora", adapter.toString(), "model.safetensors"));
        expectedKinds.add(Q + ".weight update=low-rank");
        expectedKinds.add(V + ".weight update=low-rank");
        for (int i = 0; i < up.length; i++) up[i] = bf16(up[i] * (1.0f + 0.1f * (i % H) / H));
        commit(
                repo,
                file,
                "ia3 scaling",
                commits,
                hashes,
                List.of("git", "theta", "add", "--update-type", "ia3", "model.safetensors"));
        expectedKinds.add(UP + ".weight update=ia3");

        String log = git(repo, "log", "-p", "--format=%s");
        for (String k : expectedKinds) {
            String[] nameAndKind = k.split(" ");
            assertThat(log)
                    .containsPattern("\\+param " + java.util.regex.Pattern.quote(nameAndKind[0]) + " .* "
                            + nameAndKind[1] + " ");
        }

        checkOutAll(repo, file, commits, hashes);
        Path clone = home.resolve("clone");
        git(home, "clone", "-q", repo.toString(), clone.toString());
        assertThat(StoreFiles.sha256(clone.resolve("model.safetensors"))).isEqualTo(hashes.getLast());
        checkOutAll(clone, clone.resolve("model.safetensors"), commits, hashes);
    }

    @Test
    void aLoraAdapterAppliesToAFileAPlainAddHadStaged() throws Exception {
        Path repo = trackingRepo();
        for (String m : List.of(Q, V)) {
            shapes.put(m + ".weight", Shape.of(H, H));
            float[] w = gaussian(H * H);
            for (int i = 0; i < w.length; i++) w[i] = bf16(w[i]);
            weights.put(m + ".weight", w);
        }
        Path file = repo.resolve("model.safetensors");
        write(file);
        git(repo, "add", ".gitattributes", "model.safetensors");
        git(repo, "commit", "-q", "-m", "base");
        Path adapter = loraMerged(home.resolve("adapter"));
        write(file);
        String merged = StoreFiles.sha256(file);
        git(repo, "add", "model.safetensors");

        run(repo, "git", "theta", "add", "--lora", adapter.toString(), "model.safetensors");

        String staged = git(repo, "cat-file", "-p", ":model.safetensors");
        assertThat(staged).contains("param " + Q + ".weight ").contains("param " + V + ".weight ");
        assertThat(staged.lines().filter(l -> l.startsWith("param "))).allMatch(l -> l.contains(" update=low-rank "));
        assertThat(git(repo, "status", "--porcelain")).isEqualTo("M  model.safetensors\n");
        git(repo, "commit", "-q", "-m", "lora merged");
        Files.delete(file);
        git(repo, "checkout", "--", "model.safetensors");
        assertThat(StoreFiles.sha256(file)).isEqualTo(merged);
    }

    private Path trackingRepo() throws IOException {
        Path repo = home.resolve("repo");
        Files.createDirectories(repo);
        git(repo, "init", "-q", "-b", "main");
        git(repo, "theta", "install");
        git(repo, "theta", "track", "*.safetensors");
        return repo;
    }

    private void checkOutAll(Path repo, Path file, List<String> commits, List<String> hashes) throws IOException {
        for (int i : new int[] {3, 0, 4, 1, 2, 4, 0}) {
            git(repo, "checkout", "-q", commits.get(i), "--", "model.safetensors");
            assertThat(StoreFiles.sha256(file)).as("version %d", i).isEqualTo(hashes.get(i));
        }
    }

    private void commit(
            Path repo, Path file, String message, List<String> commits, List<String> hashes, List<String> add)
            throws IOException {
        write(file);
        hashes.add(StoreFiles.sha256(file));
        run(repo, add.toArray(String[]::new));
        git(repo, "commit", "-q", "-m", message);
        commits.add(git(repo, "rev-parse", "HEAD").strip());
    }

    /** Writes a PEFT adapter for q_proj and v_proj and merges it into the weights as PEFT does (float32, then bf16). */
    private Path loraMerged(Path dir) throws IOException {
        Files.createDirectories(dir);
        double alpha = 8;
        Files.writeString(
                dir.resolve("adapter_config.json"),
                "{\"r\":" + R + ",\"lora_alpha\":" + alpha
                        + ",\"target_modules\":[\"q_proj\",\"v_proj\"],\"fan_in_fan_out\":false,\"use_rslora\":false}");
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (String m : List.of(Q, V)) {
            float[] a = gaussian(R * H), b = gaussian(H * R);
            tensors.add(f32("base_model.model." + m + ".lora_A.weight", Shape.of(R, H), a));
            tensors.add(f32("base_model.model." + m + ".lora_B.weight", Shape.of(H, R), b));
            float[] w = weights.get(m + ".weight");
            for (int o = 0; o < H; o++) {
                for (int i = 0; i < H; i++) {
                    double d = 0;
                    for (int k = 0; k < R; k++) d += (double) b[o * R + k] * a[k * H + i];
                    w[o * H + i] = bf16((float) (w[o * H + i] + alpha / R * d));
                }
            }
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve("adapter_model.safetensors"))) {
            SafetensorsWriter.write(tensors, Map.of("format", "pt"), out);
        }
        return dir;
    }

    private float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.05 * rnd.nextGaussian());
        return v;
    }

    private static SafetensorsWriter.Tensor f32(String name, Shape shape, float[] v) {
        return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            out.write(b.array());
        });
    }

    private static float bf16(float f) {
        return Floats.bf16ToFloat(Floats.floatToBf16(f));
    }

    private void write(Path file) throws IOException {
        Bf16Checkpoints.write(file, weights, shapes, Map.of("format", "pt"));
    }

    private String git(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        return run(dir, cmd.toArray(String[]::new));
    }

    private String run(Path dir, String... cmd) throws IOException {
        return GitRepoFixture.sandbox(home).command(dir, cmd).errorsIntoOutput().ok();
    }
}
