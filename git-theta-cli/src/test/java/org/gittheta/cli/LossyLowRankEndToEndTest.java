package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** git theta add --update-type low-rank --rank R --lossy with real git: stored factors, honest manifest, clean status
 * after checkout. */
class LossyLowRankEndToEndTest {
    private static final int RANK = 8;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    private final SplittableRandom rnd = new SplittableRandom(3);
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Map<String, float[]> weights = new LinkedHashMap<>();

    @Test
    void lossyAddStoresFactorsHonestlyAndALaterPlainAddIsExact() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        Path file = repo.resolve("model.safetensors");
        tensor("attn.weight", Shape.of(128, 96));
        tensor("mlp.weight", Shape.of(96, 64));
        tensor("embed.weight", Shape.of(64, 32));
        tensor("norm.bias", Shape.of(96));
        write(file);
        git.ok(repo, "git", "add", "model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "base");
        Map<String, float[]> base = copy();

        for (String name : List.of("attn.weight", "mlp.weight")) lowRankChange(name);
        float[] bias = weights.get("norm.bias");
        for (int i = 0; i < bias.length; i++) bias[i] = bf16(bias[i] + 0.01f);
        write(file);
        byte[] fineTune = Files.readAllBytes(file);
        String err = git.run(
                        repo,
                        "git",
                        "theta",
                        "add",
                        "--update-type",
                        "low-rank",
                        "--rank",
                        String.valueOf(RANK),
                        "--lossy",
                        "model.safetensors")
                .assertOk()
                .err();
        assertThat(err)
                .contains("git-theta: model.safetensors: stored 2 parameters lossily (rank 8); check it out "
                        + "again to get the stored values");
        assertThat(git.ok(repo, "git", "status", "--porcelain"))
                .as("the file still holds the user's values, not the stored ones")
                .startsWith("MM model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "lossy fine-tune");
        String manifest = git.ok(repo, "git", "show", "HEAD:model.safetensors");
        for (String name : List.of("attn.weight", "mlp.weight"))
            assertThat(line(manifest, name)).contains("update=low-rank", "lossy=svd-r8");
        assertThat(line(manifest, "norm.bias")).doesNotContain("lossy=");
        assertThat(line(manifest, "embed.weight"))
                .doesNotContain("lossy=")
                .isEqualTo(line(git.ok(repo, "git", "show", "HEAD~:model.safetensors"), "embed.weight"));
        long factorBytes = (long) RANK * (128 + 96) * 4;
        assertThat(ownObjectSize(line(manifest, "attn.weight"))).isBetween(factorBytes / 2, factorBytes + 1024);

        git.ok(repo, "git", "checkout", "--", "model.safetensors");
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
        byte[] stored = Files.readAllBytes(file);
        CheckpointLayout layout = SafetensorsFormat.INSTANCE.read(file.toString(), MemorySegment.ofArray(stored));
        CheckpointLayout original = SafetensorsFormat.INSTANCE.read("fine-tune", MemorySegment.ofArray(fineTune));
        ObjectStore store = new ObjectStore(repo.resolve(".git/theta"));
        for (TensorSlot slot : layout.tensors()) {
            byte[] got = slice(stored, slot);
            String entry = line(manifest, slot.name());
            assertThat(entry).contains("sha256=" + StoreFiles.sha256(got));
            if (!entry.contains("lossy=")) {
                assertThat(got)
                        .as(slot.name())
                        .isEqualTo(slice(
                                fineTune,
                                original.tensors().get(layout.tensors().indexOf(slot))));
                continue;
            }
            float[] expected = prevPlusFactors(store, entry, base.get(slot.name()), slot.shape());
            float[] actual = floats(got);
            float[] wanted = weights.get(slot.name());
            double change = 0, miss = 0;
            for (int i = 0; i < actual.length; i++) {
                assertThat(actual[i])
                        .as("%s[%d]", slot.name(), i)
                        .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(Math.ulp(expected[i]) * 65536f));
                change += sq(wanted[i] - base.get(slot.name())[i]);
                miss += sq(wanted[i] - actual[i]);
            }
            assertThat(Math.sqrt(miss / change))
                    .as("relative error of %s", slot.name())
                    .isLessThan(0.1);
        }

        // a further fine-tune of the stored values, added plainly, is stored exactly
        float[] attn = floats(slice(
                stored,
                layout.tensors().stream()
                        .filter(t -> t.name().equals("attn.weight"))
                        .findFirst()
                        .orElseThrow()));
        for (int i = 0; i < attn.length; i += 7) attn[i] = bf16(attn[i] * 1.5f);
        weights.put("attn.weight", attn);
        for (TensorSlot slot : layout.tensors())
            if (!slot.name().equals("attn.weight")) weights.put(slot.name(), floats(slice(stored, slot)));
        write(file);
        byte[] exact = Files.readAllBytes(file);
        git.ok(repo, "git", "add", "model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "exact fine-tune");
        String later = git.ok(repo, "git", "show", "HEAD:model.safetensors");
        assertThat(line(later, "attn.weight")).doesNotContain("lossy=");
        assertThat(line(later, "mlp.weight"))
                .as("unchanged, so the lossy version is kept")
                .isEqualTo(line(manifest, "mlp.weight"));
        Files.delete(file);
        git.ok(repo, "git", "checkout", "--", "model.safetensors");
        GitRepoFixture.assertSameBytes(file, exact);
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
    }

    @Test
    void lossyNeedsAllOfItsOptions() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        assertThat(git.run(repo, "git", "theta", "add", "--lossy", "x.safetensors")
                        .err())
                .contains("--update-type low-rank --rank <R> --lossy");
        assertThat(git.run(repo, "git", "theta", "add", "--update-type", "low-rank", "x.safetensors")
                        .err())
                .contains("--update-data <file>", "--rank <R>");
        git.ok(repo, "git", "config", "theta.lossy", "true");
        tensor("w", Shape.of(4, 4));
        write(repo.resolve("m.safetensors"));
        assertThat(git.run(repo, "git", "add", "m.safetensors").err())
                .contains("theta.lossy is set in a git config file (local)");
    }

    private void tensor(String name, Shape shape) {
        shapes.put(name, shape);
        float[] w = new float[(int) shape.numel()];
        for (int i = 0; i < w.length; i++) w[i] = bf16((float) (0.02 * rnd.nextGaussian()));
        weights.put(name, w);
    }

    /** W += U Vᵀ of rank 8 plus small noise, rounded to bf16. */
    private void lowRankChange(String name) {
        long[] d = shapes.get(name).dims();
        int rows = (int) d[0], cols = (int) d[1];
        double[] u = new double[rows * RANK], v = new double[cols * RANK];
        for (int i = 0; i < u.length; i++) u[i] = 0.05 * rnd.nextGaussian();
        for (int i = 0; i < v.length; i++) v[i] = 0.05 * rnd.nextGaussian();
        float[] w = weights.get(name);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 1e-4 * rnd.nextGaussian();
                for (int k = 0; k < RANK; k++) s += u[i * RANK + k] * v[j * RANK + k];
                w[i * cols + j] = bf16((float) (w[i * cols + j] + s));
            }
        }
    }

    /** W_prev + left · rightTᵀ from the factors in the parameter's own object, in float32 as checkout computes it. */
    private static float[] prevPlusFactors(ObjectStore store, String entry, float[] prev, Shape shape)
            throws Exception {
        Matcher m = Pattern.compile("objects=([0-9a-f]{64}):").matcher(entry);
        assertThat(m.find()).isTrue();
        int cols = (int) shape.dims()[1];
        try (Arena arena = Arena.ofShared()) {
            ObjectFormat.Reader r = ObjectFormat.Reader.open(store, new ObjectId(m.group(1)), arena);
            assertThat(r.sectionCount()).as("factors only, no residual").isEqualTo(2);
            MemorySegment left = MemorySegment.ofArray(r.readSectionFully(0)),
                    right = MemorySegment.ofArray(r.readSectionFully(1));
            float[] out = new float[prev.length];
            for (int e = 0; e < prev.length; e++) {
                float dot = 0f;
                for (int k = 0; k < RANK; k++)
                    dot += left.get(F32, 4L * ((e / cols) * RANK + k)) * right.get(F32, 4L * ((e % cols) * RANK + k));
                out[e] = bf16(prev[e] + dot);
            }
            return out;
        }
    }

    private static long ownObjectSize(String entry) {
        Matcher m = Pattern.compile("objects=[0-9a-f]{64}:(\\d+)").matcher(entry);
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String line(String manifest, String name) {
        return manifest.lines()
                .filter(l -> l.startsWith("param " + name + " "))
                .findFirst()
                .orElseThrow();
    }

    private Map<String, float[]> copy() {
        Map<String, float[]> c = new LinkedHashMap<>();
        weights.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    private static byte[] slice(byte[] file, TensorSlot slot) {
        return java.util.Arrays.copyOfRange(file, (int) slot.offset(), (int) (slot.offset() + slot.length()));
    }

    private static float[] floats(byte[] bf16) {
        float[] f = new float[bf16.length / 2];
        for (int i = 0; i < f.length; i++)
            f[i] = Floats.bf16ToFloat((short) ((bf16[2 * i] & 0xff) | (bf16[2 * i + 1] << 8)));
        return f;
    }

    private static double sq(double x) {
        return x * x;
    }

    private static float bf16(float f) {
        return Floats.bf16ToFloat(Floats.floatToBf16(f));
    }

    private void write(Path file) throws Exception {
        Bf16Checkpoints.write(file, weights, shapes, Map.of());
    }
}
