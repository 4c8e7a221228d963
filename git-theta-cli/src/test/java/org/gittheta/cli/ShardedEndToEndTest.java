package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TorchZipWriter;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;

/**
 * Sharded checkpoints as one model, through real git: safetensors shards with model.safetensors.index.json, and
 * PyTorch shards (torch.save's zip) with pytorch_model.bin.index.json.
 */
class ShardedEndToEndTest extends GitRepoFixture.WithRepo {
    private static final int SHARDS = 3;

    /** How Hugging Face names the shards and the index of each format. */
    enum Sharding {
        SAFETENSORS("model", "safetensors"),
        PYTORCH("pytorch_model", "bin");
        final String prefix, extension, index;

        Sharding(String prefix, String extension) {
            this.prefix = prefix;
            this.extension = extension;
            this.index = prefix + "." + extension + ".index.json";
        }

        String shard(int k) {
            return String.format("%s-%05d-of-%05d.%s", prefix, k, SHARDS, extension);
        }

        void write(List<SafetensorsWriter.Tensor> tensors, OutputStream out) throws IOException {
            if (this == PYTORCH) TorchZipWriter.write(prefix, tensors, out);
            else SafetensorsWriter.write(tensors, Map.of("format", "pt"), out);
        }
    }

    private static final String INDEX = Sharding.SAFETENSORS.index;

    private static String shardName(int k) {
        return Sharding.SAFETENSORS.shard(k);
    }

    private static float[] values(int n, int seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(seed * 1000 + i);
        return v;
    }

    /** Nine parameters, {@code layers.<i>.weight}; layer i lives in shard i / 3 + 1. */
    private static Map<String, float[]> model() {
        Map<String, float[]> m = new TreeMap<>();
        for (int i = 0; i < 9; i++) m.put("layers." + i + ".weight", values(4096 + i, i));
        return m;
    }

    private static Map<String, Integer> layout() {
        Map<String, Integer> shardOf = new TreeMap<>();
        for (int i = 0; i < 9; i++) shardOf.put("layers." + i + ".weight", i / 3 + 1);
        return shardOf;
    }

    private void write(Path dir, Map<String, float[]> model, Map<String, Integer> shardOf) throws IOException {
        write(Sharding.SAFETENSORS, dir, model, shardOf);
    }

    /** Writes the shard files and the index into {@code dir} (inside the repository). */
    private void write(Sharding sharding, Path dir, Map<String, float[]> model, Map<String, Integer> shardOf)
            throws IOException {
        Files.createDirectories(dir);
        StringBuilder map = new StringBuilder();
        long total = 0;
        for (int k = 1; k <= SHARDS; k++) {
            List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
            for (var e : model.entrySet()) {
                if (shardOf.get(e.getKey()) != k) continue;
                float[] v = e.getValue();
                total += v.length * 4L;
                tensors.add(new SafetensorsWriter.Tensor(e.getKey(), DType.F32, Shape.of(v.length), out -> {
                    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float f : v) b.putFloat(f);
                    out.write(b.array());
                }));
                map.append(map.isEmpty() ? "" : ",\n")
                        .append("    \"")
                        .append(e.getKey())
                        .append("\": \"")
                        .append(sharding.shard(k))
                        .append('"');
            }
            try (OutputStream out = Files.newOutputStream(dir.resolve(sharding.shard(k)))) {
                sharding.write(tensors, out);
            }
        }
        Files.writeString(
                dir.resolve(sharding.index),
                "{\n  \"metadata\": {\"total_size\": " + total + "},\n" + "  \"weight_map\": {\n" + map + "\n  }\n}\n");
    }

    private void commit(String message) throws IOException {
        git.ok(repo, "git", "add", "-A");
        git.ok(repo, "git", "commit", "-q", "-m", message);
    }

    /** Base, then a fine-tune that changes 5 elements of layers.4.weight (shard 2). */
    private Map<String, float[]> twoCommits(Path dir) throws IOException {
        return twoCommits(Sharding.SAFETENSORS, dir);
    }

    private Map<String, float[]> twoCommits(Sharding sharding, Path dir) throws IOException {
        Map<String, float[]> m = model();
        write(sharding, dir, m, layout());
        commit("base");
        for (int i = 0; i < 5; i++) m.get("layers.4.weight")[i * 100] += 0.25f;
        write(sharding, dir, m, layout());
        commit("tune layer 4");
        return m;
    }

    @Test
    void theIndexStaysTextAndEachShardIsATrackedCheckpoint() throws IOException {
        twoCommits(repo);
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", INDEX, shardName(1)))
                .contains(INDEX + ": filter: unspecified")
                .contains(shardName(1) + ": filter: theta");
        assertThat(git.ok(repo, "git", "show", "HEAD:" + INDEX)).contains("\"weight_map\"");
        assertThat(git.ok(repo, "git", "show", "HEAD:" + shardName(2))).startsWith("git-theta manifest 1");
    }

    @Test
    void diffOfTheIndexOrItsFolderReportsTheWholeModelWithShards() throws IOException {
        Path dir = repo.resolve("llm");
        twoCommits(dir);
        for (String path : List.of("llm/" + INDEX, "llm")) {
            Map<String, Object> json =
                    TestJson.parse(git.ok(repo, "git", "theta", "diff", "--json", "HEAD~1", "HEAD", "--", path));
            List<Map<String, Object>> files = TestJson.list(json.get("files"));
            assertThat(files).as(path).hasSize(1);
            Map<String, Object> file = files.getFirst();
            assertThat(file.get("path")).isEqualTo("llm/" + INDEX);
            assertThat(file.get("sharded")).isEqualTo(true);
            Map<String, Object> summary = TestJson.map(file.get("summary"));
            assertThat(summary.get("parameters")).isEqualTo(9);
            assertThat(summary.get("changed")).isEqualTo(1);
            assertThat(summary.get("modified")).isEqualTo(1);
            assertThat(summary.get("changedElements")).isEqualTo(5);
            assertThat(((Number) summary.get("totalElements")).longValue()).isEqualTo(9 * 4096 + 36);
            assertThat(summary.get("moved")).isEqualTo(0);
            List<Map<String, Object>> params = TestJson.list(file.get("params"));
            assertThat(params).extracting(p -> p.get("name")).containsExactly("layers.4.weight");
            Map<String, Object> p = params.getFirst();
            assertThat(p.get("shard")).isEqualTo(shardName(2));
            assertThat(TestJson.map(p.get("before")).get("shard")).isEqualTo(shardName(2));
            assertThat(p.get("moved")).isEqualTo(false);
            assertThat(p.get("changedElements")).isEqualTo(5);
        }
        String human = git.ok(repo, "git", "theta", "diff", "HEAD~1", "HEAD", "--", "llm/" + INDEX);
        assertThat(human)
                .contains("diff --theta llm/" + INDEX)
                .contains("shard")
                .containsPattern(
                        "modified\\s+layers\\.4\\.weight\\s+" + shardName(2).replace(".", "\\."))
                .contains("1 of 9 parameters changed, 5 of 36.9K elements");
        // without a path, the shards are reported through their index, not one by one
        String all = git.ok(repo, "git", "theta", "diff", "--stat", "HEAD~1", "HEAD");
        assertThat(all).contains("llm/" + INDEX).doesNotContain(shardName(2)).contains("1 checkpoint changed");
    }

    @Test
    void diffWithoutRevisionsReadsTheShardsInTheWorkingTree() throws IOException {
        Map<String, float[]> m = twoCommits(repo);
        m.get("layers.7.weight")[3] = 42f;
        write(repo, m, layout());
        Map<String, Object> file = TestJson.list(
                        TestJson.parse(git.ok(repo, "git", "theta", "diff", "--json", "--", INDEX))
                                .get("files"))
                .getFirst();
        List<Map<String, Object>> params = TestJson.list(file.get("params"));
        assertThat(params).extracting(p -> p.get("name")).containsExactly("layers.7.weight");
        assertThat(params.getFirst().get("shard")).isEqualTo(shardName(3));
        assertThat(params.getFirst().get("changedElements")).isEqualTo(1);
    }

    @Test
    void aMistypedIndexIsOneLineSayingWhere() throws IOException {
        twoCommits(repo);
        Files.writeString(repo.resolve(INDEX), "{\"weight_map\": {\"layers.0.weight\": \"" + shardName(1) + "\"]}\n");

        Command.Result r = git.run(repo, "git", "theta", "diff", "--", INDEX);

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .isEqualTo("git-theta: " + INDEX + ": not valid JSON: Unexpected close marker ']': expected '}' (for"
                        + " Object starting at line 1 column 16)\n");
    }

    @Test
    void logAndShowAcceptTheIndex() throws IOException {
        twoCommits(repo);
        Map<String, Object> log = TestJson.parse(git.ok(repo, "git", "theta", "log", "--json", INDEX));
        List<Map<String, Object>> commits = TestJson.list(log.get("commits"));
        assertThat(commits).extracting(c -> c.get("subject")).containsExactly("tune layer 4", "base");
        assertThat(TestJson.list(commits.get(0).get("params")))
                .extracting(p -> p.get("shard"))
                .containsExactly(shardName(2));
        assertThat(TestJson.map(commits.get(1).get("summary")).get("added")).isEqualTo(9);
        assertThat(git.ok(repo, "git", "theta", "log", "--param", "layers.4.*"))
                .contains("modified layers.4.weight [" + shardName(2) + "]");

        Map<String, Object> show = TestJson.parse(git.ok(repo, "git", "theta", "show", "--json", "HEAD:" + INDEX));
        assertThat(show.get("parameters")).isEqualTo(9);
        assertThat(TestJson.list(show.get("shards")))
                .extracting(s -> s.get("shard"))
                .containsExactly(shardName(1), shardName(2), shardName(3));
        Map<String, String> shardOf = new LinkedHashMap<>();
        TestJson.list(show.get("params")).forEach(p -> shardOf.put((String) p.get("name"), (String) p.get("shard")));
        layout().forEach((name, k) -> assertThat(shardOf.get(name)).as(name).isEqualTo(shardName(k)));
        assertThat(git.ok(repo, "git", "theta", "show", "HEAD~1:" + INDEX)).contains("9 parameters in 3 shards");
    }

    @Test
    void reshardingStoresNoNewObjectsAndDiffShowsTheParametersMoved() throws IOException {
        Map<String, float[]> m = twoCommits(repo);
        List<Path> before = StoreFiles.objects(repo.resolve(".git"));
        // same values, other shards: layers.4 (stored as a delta in the fine-tune) moves from shard 2 to 3,
        // layers.0 from shard 1 to 2
        Map<String, Integer> moved = layout();
        moved.put("layers.4.weight", 3);
        moved.put("layers.0.weight", 2);
        write(repo, m, moved);
        commit("reshard");
        assertThat(StoreFiles.objects(repo.resolve(".git")))
                .as("objects after re-sharding")
                .isEqualTo(before);
        String oldEntry = entry(git.ok(repo, "git", "show", "HEAD~1:" + shardName(2)), "layers.4.weight");
        String newEntry = entry(git.ok(repo, "git", "show", "HEAD:" + shardName(3)), "layers.4.weight");
        // a delta against shard 2's earlier version, reused as it is (dedup by value), not stored dense again
        assertThat(oldEntry).contains(" update=sparse ");
        assertThat(newEntry).isEqualTo(oldEntry);

        Map<String, Object> json =
                TestJson.parse(git.ok(repo, "git", "theta", "diff", "--json", "HEAD~1", "HEAD", "--", INDEX));
        Map<String, Object> file = TestJson.list(json.get("files")).getFirst();
        Map<String, Object> summary = TestJson.map(file.get("summary"));
        assertThat(summary.get("changed")).isEqualTo(0);
        assertThat(summary.get("moved")).isEqualTo(2);
        assertThat(summary.get("storedBytes")).isEqualTo(0);
        List<Map<String, Object>> params = TestJson.list(file.get("params"));
        assertThat(params).extracting(p -> p.get("name")).containsExactly("layers.0.weight", "layers.4.weight");
        for (Map<String, Object> p : params) {
            assertThat(p.get("status")).isEqualTo("unchanged");
            assertThat(p.get("moved")).isEqualTo(true);
        }
        assertThat(TestJson.map(params.get(1).get("before")).get("shard")).isEqualTo(shardName(2));
        assertThat(TestJson.map(params.get(1).get("after")).get("shard")).isEqualTo(shardName(3));
        assertThat(git.ok(repo, "git", "theta", "diff", "HEAD~1", "HEAD", "--", INDEX))
                .contains(shardName(2) + "→" + shardName(3))
                .contains("0 of 9 parameters changed, 0 of 36.9K elements, 2 moved between shards");
        // and checkout still gives back every shard byte for byte
        byte[] shard3 = Files.readAllBytes(repo.resolve(shardName(3)));
        Files.delete(repo.resolve(shardName(3)));
        git.ok(repo, "git", "checkout", "--", shardName(3));
        GitRepoFixture.assertSameBytes(repo.resolve(shardName(3)), shard3);
    }

    /**
     * PyTorch shards (pytorch_model-0000N-of-00003.bin, torch.save's zip) and pytorch_model.bin.index.json: the same
     * whole-model diff, log and show with the shard column, the folder given as "." at the top of the work tree;
     * re-sharding stores nothing and every shard checks out byte for byte.
     */
    @Test
    void shardedPytorchBinsAreOneModelAndReshardingStoresNothing() throws IOException {
        Sharding bin = Sharding.PYTORCH;
        git.track(repo, "*.bin");
        Map<String, float[]> m = twoCommits(bin, repo);
        assertThat(git.ok(repo, "git", "show", "HEAD:" + bin.shard(2))).contains("format torch-zip\n");
        assertThat(git.ok(repo, "git", "show", "HEAD:" + bin.index)).contains("\"weight_map\"");
        for (String path : List.of(bin.index, ".")) {
            assertThat(git.ok(repo, "git", "theta", "diff", "HEAD~1", "HEAD", "--", path))
                    .as(path)
                    .contains("diff --theta " + bin.index)
                    .containsPattern(
                            "modified\\s+layers\\.4\\.weight\\s+" + bin.shard(2).replace(".", "\\."))
                    .contains("1 of 9 parameters changed, 5 of 36.9K elements");
        }
        assertThat(git.ok(repo, "git", "theta", "log", "."))
                .contains("modified layers.4.weight [" + bin.shard(2) + "]");
        assertThat(git.ok(repo, "git", "theta", "show", "HEAD:" + bin.index))
                .contains("9 parameters in 3 shards")
                .contains("sharded torch-zip");

        List<Path> before = StoreFiles.objects(repo.resolve(".git"));
        Map<String, Integer> moved = layout();
        moved.put("layers.4.weight", 3);
        moved.put("layers.0.weight", 2);
        write(bin, repo, m, moved);
        commit("reshard");
        assertThat(StoreFiles.objects(repo.resolve(".git")))
                .as("objects after re-sharding")
                .isEqualTo(before);
        assertThat(git.ok(repo, "git", "theta", "diff", "HEAD~1", "HEAD", "--", bin.index))
                .contains(bin.shard(2) + "→" + bin.shard(3))
                .contains("0 of 9 parameters changed, 0 of 36.9K elements, 2 moved between shards");
        for (int k = 1; k <= SHARDS; k++) {
            byte[] shard = Files.readAllBytes(repo.resolve(bin.shard(k)));
            Files.delete(repo.resolve(bin.shard(k)));
            git.ok(repo, "git", "checkout", "--", bin.shard(k));
            GitRepoFixture.assertSameBytes(repo.resolve(bin.shard(k)), shard);
        }
    }

    /** The manifest line of one parameter, without its name. */
    private static String entry(String manifest, String name) {
        return manifest.lines()
                .filter(l -> l.startsWith("param " + name + " "))
                .findFirst()
                .orElseThrow()
                .substring(("param " + name).length());
    }
}
