package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TensorSlot;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.testdata.TorchZipWriter;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The flow of git-theta (Python)'s own end-to-end tests, with real git: commit a model, then commit an update of each
 * type given as side-loaded update data (PyTorch files in git-theta's layout, written by the core tests'
 * update-data/generate.py, and a safetensors file), check out every commit and compare the parameters with values
 * computed here in double and rounded to float32. And the exact forced low-rank form, {@code --rank R} alone.
 */
class UpdateDataEndToEndTest {
    private static final Shape FC = Shape.of(4, 3), CONV = Shape.of(2, 2, 3), BIAS = Shape.of(3), OTHER = Shape.of(5);

    @TempDir
    Path tmp;

    /**
     * A torch zip keeps CRC-32s of its storages: the committed version (the file with the update applied) has them
     * recomputed, so that it checks out as a valid zip, which unzip and Python's zipfile accept.
     */
    @ParameterizedTest
    @ValueSource(strings = {"model.safetensors", "pytorch_model.bin"})
    void eachUpdateTypeFromUpdateDataIsCommittedAppliedAndChecksOutExactly(String name) throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "theta", "track", "*.bin");
        Path file = repo.resolve(name);
        Map<String, double[]> model = new LinkedHashMap<>();
        for (var e : Map.of("fc.weight", FC, "conv.weight", CONV, "bias", BIAS, "other", OTHER)
                .entrySet()) {
            double[] v = new double[(int) e.getValue().numel()];
            for (int i = 0; i < v.length; i++) v[i] = i / 8.0 - 0.5;
            model.put(e.getKey(), v);
        }
        write(file, model);
        List<TensorSlot> slots = layout(file, Files.readAllBytes(file)).tensors();
        git.ok(repo, "git", "add", "-A");
        git.ok(repo, "git", "commit", "-q", "-m", "base");
        List<String> commits =
                new ArrayList<>(List.of(git.ok(repo, "git", "rev-parse", "HEAD").strip()));
        List<Map<String, double[]>> expected = new ArrayList<>(List.of(copy(model)));

        // low-rank: fc.weight += R @ C (C stored transposed), conv.weight += a batch of two R @ C
        double[] fc = model.get("fc.weight"), conv = model.get("conv.weight");
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                double dot = 0;
                for (int k = 0; k < 2; k++) dot += ((i + 1) / 4.0 + k / 2.0) * (j - k / 4.0);
                fc[i * 3 + j] = f32(fc[i * 3 + j] + dot);
            }
        }
        for (int e = 0; e < 12; e++) {
            int b = e / 6, i = e / 3 % 2, j = e % 3;
            double dot = 0;
            for (int k = 0; k < 2; k++) dot += (0.5 * ((b * 2 + i) * 2 + k) - 1) * (0.125 * (k * 3 + j));
            conv[e] = f32(conv[e] + dot);
        }
        commitUpdate(git, repo, name, "low-rank", resource("low-rank.pt"), commits);
        expected.add(copy(model));
        // sparse: fc.weight + CSR (a duplicate index sums)
        fc[0] = f32(fc[0] + 1.5);
        fc[5] = f32(fc[5] + 2.25);
        fc[11] = f32(fc[11] - 3);
        commitUpdate(git, repo, name, "sparse", resource("sparse.pt"), commits);
        expected.add(copy(model));
        // ia3: fc.weight * a [4,1] float64 vector
        double[] ia3 = {0.5, -2.0, 1.25, 3.0};
        for (int e = 0; e < 12; e++) fc[e] = f32(fc[e] * ia3[e / 3]);
        commitUpdate(git, repo, name, "ia3", resource("ia3.pt"), commits);
        expected.add(copy(model));
        // dense: bias = the given tensor
        model.put("bias", new double[] {f32(0.1), f32(-0.2), f32(0.3)});
        commitUpdate(git, repo, name, "dense", resource("dense.pt"), commits);
        expected.add(copy(model));
        // sparse again, the data in a safetensors file: other[1] += 4, other[4] -= 0.5
        Path sparse = tmp.resolve("sparse.safetensors");
        try (OutputStream out = Files.newOutputStream(sparse)) {
            SafetensorsWriter.write(
                    List.of(
                            floats("other/data", 4, -0.5),
                            ints("other/indices", 1, 4),
                            ints("other/indptr", 0, 2),
                            ints("other/shape", 5)),
                    Map.of(),
                    out);
        }
        double[] other = model.get("other");
        other[1] = f32(other[1] + 4);
        other[4] = f32(other[4] - 0.5);
        commitUpdate(git, repo, name, "sparse", sparse, commits);
        expected.add(copy(model));

        // as git-theta's tests do: switch to each commit right after the last one was made
        for (int c = commits.size() - 1; c >= 0; c--) {
            git.ok(repo, "git", "checkout", "-q", commits.get(c));
            byte[] bytes = Files.readAllBytes(file);
            CheckpointLayout layout = layout(file, bytes);
            assertThat(layout.tensors())
                    .as("tensors of commit %d: names, dtypes, shapes and places are unchanged", c)
                    .isEqualTo(slots);
            assertValues(bytes, layout, expected.get(c), "commit " + c);
            if (name.endsWith(".bin")) assertValidZip(git, file);
            Files.delete(file);
            git.ok(repo, "git", "checkout", "--", name);
            GitRepoFixture.assertSameBytes(file, bytes);
            assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
            // cleaned again, the checked-out file is the committed version
            git.ok(repo, "git", "add", "--renormalize", name);
            assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
        }
    }

    @Test
    void updateDataNamingAParameterTheFileLacksIsOneClearErrorAndStagesNothing() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        Path file = repo.resolve("model.safetensors");
        write(file, Map.of("bias", new double[] {1, 2, 3}));
        git.ok(repo, "git", "add", "model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "base");
        String staged = git.ok(repo, "git", "ls-files", "-s");
        Command.Result r = addWithUpdateData(git, repo, "model.safetensors", "low-rank", resource("low-rank.pt"));
        assertThat(r.exit()).isNotZero();
        assertThat(r.err())
                .contains("model.safetensors: update data " + resource("low-rank.pt")
                        + " names parameters conv.weight, fc.weight, which the file does not have");
        assertThat(git.ok(repo, "git", "ls-files", "-s")).isEqualTo(staged);
        assertThat(addWithUpdateData(git, repo, "model.safetensors", "xor-delta", resource("low-rank.pt"))
                        .err())
                .contains("--update-data needs --update-type sparse, low-rank, ia3 or dense");
    }

    @Test
    void forcedLowRankWithoutAnAdapterStoresFactorsPlusResidualAndChecksOutByteExactly() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        Path file = repo.resolve("model.safetensors");
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 96, cols = 64;
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = f32(0.02 * rnd.nextGaussian());
        write(file, Map.of("attn.weight", w));
        git.ok(repo, "git", "add", "model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "base");
        double[][] u = new double[4][rows], v = new double[4][cols];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < rows; i++) u[k][i] = 0.05 * rnd.nextGaussian();
            for (int j = 0; j < cols; j++) v[k][j] = 0.05 * rnd.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 1e-5 * rnd.nextGaussian();
                for (int k = 0; k < 4; k++) s += u[k][i] * v[k][j];
                w[i * cols + j] = f32(w[i * cols + j] + s);
            }
        }
        write(file, Map.of("attn.weight", w));
        byte[] fineTune = Files.readAllBytes(file);
        // staged first as a plain add stores it: the low-rank asked for next is not the stored form the stat cache
        // and git's unchanged stat data would give back
        git.ok(repo, "git", "add", "model.safetensors");
        String err = git.run(
                        repo, "git", "theta", "add", "--update-type", "low-rank", "--rank", "4", "model.safetensors")
                .assertOk()
                .err();
        assertThat(err)
                .containsPattern(
                        "git-theta: model.safetensors: stored 1 parameter as rank-4 factors plus exact residual: "
                                + "[0-9.]+ KiB stored for 24.0 KiB of values");
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEqualTo("M  model.safetensors\n");
        git.ok(repo, "git", "commit", "-q", "-m", "rank-4 fine-tune");
        String line = git.ok(repo, "git", "show", "HEAD:model.safetensors")
                .lines()
                .filter(l -> l.startsWith("param attn.weight "))
                .findFirst()
                .orElseThrow();
        assertThat(line).contains("update=low-rank").doesNotContain("lossy");
        Files.delete(file);
        git.ok(repo, "git", "checkout", "--", "model.safetensors");
        GitRepoFixture.assertSameBytes(file, fineTune);
    }

    private void commitUpdate(GitRepoFixture git, Path repo, String name, String type, Path data, List<String> commits)
            throws IOException {
        Command.Result r = addWithUpdateData(git, repo, name, type, data).assertOk();
        assertThat(r.err())
                .containsPattern("git-theta: " + name + ": staged with the update data applied \\([0-9]+ parameters? "
                        + "stored, [0-9.]+ (B|KiB)\\); wrote the updated values to it");
        assertThat(git.ok(repo, "git", "status", "--porcelain"))
                .as("the work tree holds the staged version")
                .isEqualTo("M  " + name + "\n");
        git.ok(repo, "git", "commit", "-q", "-m", type + " update");
        String manifest = git.ok(repo, "git", "show", "HEAD:" + name);
        assertThat(manifest).containsPattern("param [^ ]+ dtype=F32 .* update=" + type + " ");
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
        commits.add(git.ok(repo, "git", "rev-parse", "HEAD").strip());
    }

    private static Command.Result addWithUpdateData(GitRepoFixture git, Path repo, String name, String type, Path data)
            throws IOException {
        return git.run(repo, "git", "theta", "add", name, "--update-type", type, "--update-data", data.toString());
    }

    private static CheckpointLayout layout(Path file, byte[] bytes) throws IOException {
        MemorySegment content = MemorySegment.ofArray(bytes);
        return Formats.detect(content).orElseThrow().read(file.toString(), content);
    }

    /** What unzip and Python's zipfile say of the archive: every CRC matches its entry's data. */
    private static void assertValidZip(GitRepoFixture git, Path file) throws IOException {
        git.ok(file.getParent(), "unzip", "-tq", file.toString());
        git.ok(
                file.getParent(),
                "python3",
                "-c",
                "import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)",
                file.toString());
    }

    private static void assertValues(
            byte[] file, CheckpointLayout layout, Map<String, double[]> expected, String what) {
        for (TensorSlot slot : layout.tensors()) {
            TensorView v = new TensorView(MemorySegment.ofArray(file).asSlice(slot.offset(), slot.length()), DType.F32);
            double[] want = expected.get(slot.name());
            double[] got = new double[want.length];
            for (int i = 0; i < got.length; i++) got[i] = v.get(i);
            assertThat(got).as("%s of %s", slot.name(), what).containsExactly(want);
        }
    }

    private static Path resource(String name) throws IOException {
        Path p = Path.of(
                System.getProperty("java.io.tmpdir"),
                "theta-update-data-" + ProcessHandle.current().pid() + "-" + name);
        try (InputStream in = UpdateDataEndToEndTest.class.getResourceAsStream("/update-data/" + name)) {
            Files.write(p, in.readAllBytes());
        }
        p.toFile().deleteOnExit();
        return p;
    }

    private static double f32(double v) {
        return (float) v;
    }

    private static Map<String, double[]> copy(Map<String, double[]> m) {
        Map<String, double[]> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    private static void write(Path file, Map<String, double[]> params) throws IOException {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        Map<String, Shape> shapes = Map.of(
                "fc.weight", FC, "conv.weight", CONV, "bias", BIAS, "other", OTHER, "attn.weight", Shape.of(96, 64));
        params.forEach((name, v) -> tensors.add(floats(name, shapes.get(name), v)));
        try (OutputStream out = Files.newOutputStream(file)) {
            if (file.toString().endsWith(".bin")) TorchZipWriter.write("pytorch_model", tensors, out);
            else SafetensorsWriter.write(tensors, Map.of("format", "pt"), out);
        }
    }

    private static SafetensorsWriter.Tensor floats(String name, double... v) {
        return floats(name, Shape.of(v.length), v);
    }

    private static SafetensorsWriter.Tensor floats(String name, Shape shape, double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> out.write(TensorView.f32Bytes(f)));
    }

    private static SafetensorsWriter.Tensor ints(String name, long... v) {
        byte[] b = new byte[v.length * 4];
        for (int i = 0; i < v.length; i++) for (int k = 0; k < 4; k++) b[4 * i + k] = (byte) (v[i] >> (8 * k));
        return new SafetensorsWriter.Tensor(name, DType.I32, Shape.of(v.length), out -> out.write(b));
    }
}
