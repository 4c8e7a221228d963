package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gittheta.cli.MergeRepo.T;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.tensor.DType;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** git theta merge --config: mergekit YAML files run as merges of revisions, with real git. */
class MergekitConfigEndToEndTest {
    private static final int N = 12;
    private MergeRepo repo;

    @BeforeEach
    void setUp() throws IOException {
        repo = new MergeRepo();
        repo.stageNotes("base\n");
        commit("base", 0);
    }

    @AfterEach
    void tearDown() throws IOException {
        repo.close();
    }

    /** Three layers (two mlp, one attention) and an embedding outside them; version v ≠ 0 is a fine-tune. */
    private static List<T> checkpoint(int v) {
        List<T> tensors = new ArrayList<>();
        for (String name : List.of("model.layers.0.mlp.w", "model.layers.1.mlp.w", "model.layers.2.attn.w")) {
            tensors.add(new T(name, name.contains("attn") ? DType.BF16 : DType.F32, shape(N), values(name, v, N)));
        }
        tensors.add(new T("model.embed.w", DType.F32, shape(6), values("model.embed.w", v, 6)));
        return tensors;
    }

    private static org.gittheta.tensor.Shape shape(int n) {
        return org.gittheta.tensor.Shape.of(n);
    }

    private static double[] values(String name, int v, int n) {
        java.util.Random r = new java.util.Random(name.hashCode());
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
        if (v == 0) return x;
        java.util.Random d = new java.util.Random(31L * name.hashCode() + v);
        for (int i = 0; i < n; i++) x[i] += 0.1 * d.nextGaussian();
        return x;
    }

    private void commit(String message, int version) throws IOException {
        MergeRepo.write(repo.model, checkpoint(version));
        repo.git("add", "-A");
        repo.git("commit", "-qm", message);
    }

    /** Branches a, b (fine-tunes of the checkpoint) and c (notes only), from main. */
    private void branches() throws IOException {
        for (String b : List.of("a", "b")) {
            repo.git("checkout", "-qb", b, "main");
            commit(b, b.equals("a") ? 1 : 2);
        }
        repo.git("checkout", "-qb", "c", "main");
        repo.stageNotes("from c\n");
        repo.git("commit", "-qm", "c");
        repo.git("checkout", "-q", "main");
    }

    private static final String TIES = """
            merge_method: ties
            base_model: main
            models:
              - model: a
                parameters:
                  weight: 0.6
                  density: [1.0, 0.5]     # a gradient over the layers
              - model: b
                parameters:
                  weight:
                    - filter: mlp
                      value: [0.2, 1.0]
                    - value: 0.3
                  density: 0.5
            parameters:
              lambda: 0.9
            """;

    @Test
    void yamlWithWeightsAFilterAndAGradientMergesAsTheSameOptionsDo() throws IOException {
        branches();
        String main = repo.rev("main");
        Path yml = Files.writeString(repo.home.resolve("ties.yml"), TIES); // outside the work tree, which stays clean
        Command.Result r = repo.exec("git", "theta", "merge", "--config", yml.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("ties from ties.yml").contains("4 through the formula");
        assertThat(repo.git("rev-list", "--parents", "-1", "HEAD").strip().split(" "))
                .containsExactly(repo.rev("HEAD"), main, repo.rev("a"), repo.rev("b"));
        Map<String, byte[]> fromYaml = MergeRepo.tensors(repo.model);

        // the same merge as options: HEAD (the base) is a model with τ = 0, which never takes part in the mean.
        // 3 layers sit at t = 0, 0.5, 1 and the embedding at 0: a's density 1, 0.75, 0.5, 1; b's mlp weight 0.2, 0.6
        repo.git("reset", "-q", "--hard", "HEAD^");
        Command.Result o = repo.exec(
                "git",
                "-c",
                "theta.merge.rule=model.layers.0.* ties density=1,1,0.5 weight=1,0.6,0.2",
                "-c",
                "theta.merge.rule=model.layers.1.* ties density=1,0.75,0.5 weight=1,0.6,0.6",
                "-c",
                "theta.merge.rule=model.layers.2.* ties density=1,0.5,0.5 weight=1,0.6,0.3",
                "theta",
                "merge",
                "a",
                "b",
                "--strategy",
                "ties",
                "--density",
                "1,1,0.5",
                "--weight",
                "1,0.6,0.3",
                "--lambda",
                "0.9",
                "--scope",
                "all");
        assertThat(o.exit()).as(o.out()).isZero();
        Map<String, byte[]> fromOptions = MergeRepo.tensors(repo.model);
        assertThat(fromOptions.keySet()).containsExactlyElementsOf(fromYaml.keySet());
        for (String name : fromYaml.keySet()) {
            assertThat(fromOptions.get(name)).as(name).isEqualTo(fromYaml.get(name));
            byte[] base = MergeRepo.bytes(checkpoint(0).stream()
                    .filter(t -> t.name().equals(name))
                    .findFirst()
                    .orElseThrow());
            assertThat(fromYaml.get(name)).as(name + " was merged").isNotEqualTo(base);
        }
    }

    /** {@link #TIES} as mergekit's one slice whose sources span the three layers, λ set on the slice. */
    private static final String TIES_SLICE = """
            merge_method: ties
            base_model: main
            slices:
              - sources:
                  - {model: a, layer_range: [0, 3], parameters: {weight: 0.6, density: [1.0, 0.5]}}
                  - model: b
                    layer_range: [0, 3]
                    parameters: {weight: [{filter: mlp, value: [0.2, 1.0]}, {value: 0.3}], density: 0.5}
                parameters: {lambda: 0.9}
            """;

    @Test
    void aSliceSpanningEveryLayerMergesAsTheModelsDo() throws IOException {
        branches();
        Path models = Files.writeString(repo.home.resolve("ties.yml"), TIES);
        Path slice = Files.writeString(repo.home.resolve("slice.yml"), TIES_SLICE);
        Command.Result r = repo.exec("git", "theta", "merge", "--config", models.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        Map<String, byte[]> fromModels = MergeRepo.tensors(repo.model);
        String parents = repo.git("log", "-1", "--format=%P");

        repo.git("reset", "-q", "--hard", "HEAD^");
        Command.Result s = repo.exec("git", "theta", "merge", "--config", slice.toString());
        assertThat(s.exit()).as(s.out()).isZero();
        assertThat(s.out()).contains("ties from slice.yml").contains("4 through the formula");
        assertThat(repo.git("log", "-1", "--format=%P")).isEqualTo(parents);
        Map<String, byte[]> fromSlice = MergeRepo.tensors(repo.model);
        assertThat(fromSlice.keySet()).containsExactlyElementsOf(fromModels.keySet());
        for (String name : fromModels.keySet())
            assertThat(fromSlice.get(name)).as(name).isEqualTo(fromModels.get(name));
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    @Test
    void octopusMergeOfRevisionsHasTheirParentsAndChecksOutByteExactly() throws IOException {
        branches();
        String shortC = repo.git("rev-parse", "--short=9", "c").strip();
        Files.writeString(repo.home.resolve("merge.yml"), """
                merge_method: linear
                models:
                  - model: a
                    parameters: {weight: 1}
                  - model: b
                    parameters: {weight: 2}
                  - model: %s
                    parameters: {weight: 1}
                """.formatted(shortC));
        String main = repo.rev("main");
        Command.Result r = repo.exec("git", "theta", "merge", "--config", "../merge.yml", "-m", "soup");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(repo.git("rev-list", "--parents", "-1", "HEAD").strip().split(" "))
                .containsExactly(repo.rev("HEAD"), main, repo.rev("a"), repo.rev("b"), repo.rev("c"));
        assertThat(repo.git("log", "-1", "--format=%s")).isEqualTo("soup\n");
        assertThat(Files.readString(repo.dir.resolve("notes.txt"))).isEqualTo("from c\n");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        for (T t : checkpoint(0)) {
            double[] a = values(t.name(), 1, t.values().length);
            double[] b = values(t.name(), 2, t.values().length);
            double[] expected = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                double c = t.values()[i];
                expected[i] = (rounded(t.dtype(), a[i]) + 2 * rounded(t.dtype(), b[i]) + rounded(t.dtype(), c)) / 4;
            }
            assertThat(merged.get(t.name()))
                    .as(t.name())
                    .isEqualTo(MergeRepo.bytes(new T(t.name(), t.dtype(), t.shape(), expected)));
        }
        assertThat(repo.git("status", "--porcelain")).isEmpty();

        byte[] content = Files.readAllBytes(repo.model);
        repo.git("checkout", "-q", "a");
        repo.git("checkout", "-q", "main");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(content);
        Files.delete(repo.model);
        repo.git("checkout", "--", "model.safetensors");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(content);
    }

    private static double rounded(DType dtype, double v) {
        return MergeRepo.values(MergeRepo.bytes(T.of("x", dtype, v)), dtype)[0];
    }

    @Test
    void aModelGivenAsACheckpointFile() throws IOException {
        branches();
        Path ft = repo.home.resolve("ft.safetensors");
        MergeRepo.write(ft, checkpoint(2));
        Path yml = Files.writeString(repo.home.resolve("m.yml"), """
                merge_method: task_arithmetic
                base_model: main
                models:
                  - model: a
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                """.formatted(ft));
        Command.Result r = repo.exec("git", "theta", "merge", "--config", yml.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(repo.git("rev-list", "--parents", "-1", "HEAD").strip().split(" "))
                .containsExactly(repo.rev("HEAD"), repo.rev("main^"), repo.rev("a"));
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        T embed = checkpoint(0).getLast();
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            double b = rounded(DType.F32, embed.values()[i]);
            double a = rounded(DType.F32, values(embed.name(), 1, 6)[i]);
            double f = rounded(DType.F32, values(embed.name(), 2, 6)[i]);
            expected[i] = b + 0.5 * (a - b) + 0.5 * (f - b);
        }
        assertThat(MergeRepo.values(merged.get(embed.name()), DType.F32))
                .containsExactly(MergeRepo.values(MergeRepo.bytes(T.of("e", DType.F32, expected)), DType.F32));
    }

    @Test
    void dryRunWithAConfigChangesNothing() throws IOException {
        branches();
        Path yml = Files.writeString(repo.home.resolve("ties.yml"), TIES);
        String before = repo.snapshot(repo.model);
        Command.Result r = repo.exec("git", "theta", "merge", "--config", yml.toString(), "--dry-run");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("model.layers.1.mlp.w").contains("formula");
        Command.Result json = repo.exec("git", "theta", "merge", "--config", yml.toString(), "--dry-run", "--json");
        assertThat(json.exit()).as(json.out()).isZero();
        assertThat(json.out()).contains("\"models\" : [ \"a\", \"b\" ]");
        assertThat(repo.snapshot(repo.model)).isEqualTo(before);
        assertThat(repo.dir.resolve(".git/MERGE_HEAD")).doesNotExist();
    }

    @Test
    void badConfigsGiveOneClearErrorAndLeaveNoMergeState() throws IOException {
        branches();
        String before = repo.snapshot(repo.model);
        Map<String, String> cases = Map.of(
                "models: [a, b\n",
                "bad.yml:2: ",
                "merge_method: della\nbase_model: main\nmodels: [{model: a, parameters: {weight: 1}}]\n",
                "bad.yml:1: unsupported merge_method 'della' (supported: linear, task_arithmetic, ties,",
                "merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\ntokenizer_source: base\n",
                "bad.yml:3: unsupported key 'tokenizer_source'",
                "merge_method: ties\nbase_model: main\nmodels: [{model: a, parameters: {weight: 1, densty: 1}}]\n",
                "bad.yml:3: unknown parameter 'densty' in models[0].parameters",
                "merge_method: ties\nbase_model: main\nmodels: [{model: a, parameters: {weight: 1}}]\n"
                        + "parameters: {rescale: true}\n",
                "ties with rescale: true at tensor model.embed.w is not supported",
                "merge_method: linear\nmodels: [{model: nowhere, parameters: {weight: 1}}]\n",
                "models 'nowhere' is neither a revision nor a checkpoint file",
                "merge_method: linear\nmodels: [{model: main, parameters: {weight: 1}},"
                        + " {model: HEAD, parameters: {weight: 1}}]\n",
                "models 'HEAD' and 'main' are the same commit; list each model once",
                "merge_method: linear\nslices:\n  - sources:\n    - model: a\n      layer_range: [0, 2]\n"
                        + "      parameters: {weight: 1}\n    - model: main\n      layer_range: [0, 2]\n"
                        + "      parameters: {weight: 1}\n",
                "bad.yml:5: layer_range [0, 2] does not span the checkpoint's 3 layers");
        Path bad = repo.home.resolve("bad.yml");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(bad, c.getKey());
            Command.Result r = repo.exec("git", "theta", "merge", "--config", bad.toString());
            assertThat(r.exit()).as(c.getKey()).isNotZero();
            assertThat(r.out().strip().lines()).as(r.out()).hasSize(1);
            assertThat(r.out()).as(c.getKey()).startsWith("git-theta: ").contains(c.getValue());
            assertThat(repo.snapshot(repo.model)).as(c.getKey()).isEqualTo(before);
        }
        Command.Result directory = repo.exec("git", "theta", "merge", "--config", repo.home.toString());
        assertThat(directory.exit()).isNotZero();
        assertThat(directory.out())
                .isEqualTo("git-theta: " + repo.home + ": a directory, not a mergekit configuration file\n");
        Command.Result mixed = repo.exec("git", "theta", "merge", "--config", bad.toString(), "--strategy", "ties");
        assertThat(mixed.exit()).isNotZero();
        assertThat(mixed.out()).contains("--strategy does not go with --config");
        assertThat(repo.dir.resolve(".git/MERGE_HEAD")).doesNotExist();
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }
}
