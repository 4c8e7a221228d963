package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code git theta status}, {@code ls-files} and {@code squash} with real git. */
class HousekeepingCommandsEndToEndTest extends GitRepoFixture.WithRepo {
    private static final Pattern OBJECTS = Pattern.compile("objects=([0-9a-f:,]+)");
    private static final String ST = "m.safetensors";
    private static final String BIN = "pytorch_model.bin";
    private static final String WHOLE = "notes.dat";
    private static final String SHARD1 = "sh/model-00001-of-00002.safetensors";
    private static final String SHARD2 = "sh/model-00002-of-00002.safetensors";
    private static final String INDEX = "sh/model.safetensors.index.json";

    @BeforeEach
    void trackMore() throws IOException {
        git.track(repo, "*.bin", "*.dat");
    }

    private static byte[] checkpoint(long seed) {
        return StoreHousekeepingEndToEndTest.checkpoint(seed);
    }

    private static byte[] shard(String tensor, long seed) {
        return TestCheckpoints.safetensors()
                .seed(seed)
                .tensor(tensor, DType.F32, 128) // above the inline limit: an object
                .bytes();
    }

    /** Writes a new version of the safetensors file and stages it as XOR deltas on the previous one. */
    private byte[] addAsDelta(long seed) throws IOException {
        byte[] content = checkpoint(seed);
        Files.write(repo.resolve(ST), content);
        git.ok(repo, "git", "theta", "add", ST, "--update-type", "xor-delta");
        return content;
    }

    /** Each object a manifest lists (every parameter's whole chain) with its size. */
    private Map<String, Long> objectsOf(String rev, String path) throws IOException {
        String manifest = git.ok(repo, "git", "cat-file", "-p", rev + ":" + path);
        Map<String, Long> out = new LinkedHashMap<>();
        for (Matcher m = OBJECTS.matcher(manifest); m.find(); ) {
            for (String ref : m.group(1).split(",")) {
                out.put(ref.substring(0, 64), Long.parseLong(ref.substring(65)));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private Set<String> stored() throws IOException {
        Set<String> ids = new HashSet<>();
        for (Path p : StoreFiles.objects(repo.resolve(".git")))
            ids.add(p.getFileName().toString());
        return ids;
    }

    private Map<String, Map<String, Object>> byPath(String... command) throws IOException {
        Map<String, Object> json = TestJson.parse(git.ok(repo, command));
        assertThat(json.get("schema")).isEqualTo(1);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map<String, Object> c : TestJson.list(json.get("checkpoints"))) out.put((String) c.get("path"), c);
        return out;
    }

    private static Map<String, Object> objects(Map<String, Object> checkpoint) {
        return TestJson.map(checkpoint.get("objects"));
    }

    private static long sum(Map<String, Long> objects) {
        return objects.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void lsFilesAndStatusDescribeEachFormatAndWriteNothing() throws IOException {
        byte[] whole = new byte[5000];
        new Random(7).nextBytes(whole);
        Files.write(repo.resolve(ST), checkpoint(1));
        Files.write(repo.resolve(BIN), GgufEndToEndTest.reference("pytorch_model.bin"));
        Files.write(repo.resolve(WHOLE), whole);
        Files.createDirectories(repo.resolve("sh"));
        Files.write(repo.resolve(SHARD1), shard("x", 1));
        Files.write(repo.resolve(SHARD2), shard("y", 2));
        Files.writeString(
                repo.resolve(INDEX),
                "{\"metadata\": {}, \"weight_map\": {\"x\": \"model-00001-of-00002.safetensors\", "
                        + "\"y\": \"model-00002-of-00002.safetensors\"}}");
        git.ok(repo, "git", "add", ST, BIN, WHOLE, "sh");
        git.ok(repo, "git", "commit", "-q", "-m", "v1");
        String v1 = git.ok(repo, "git", "rev-parse", "HEAD").strip();
        Map<String, Long> stV1 = objectsOf("HEAD", ST);
        addAsDelta(2);
        git.ok(repo, "git", "commit", "-q", "-m", "v2");
        String v2 = git.ok(repo, "git", "rev-parse", "HEAD").strip();

        Map<String, Map<String, Object>> head = byPath("git", "theta", "ls-files", "--json");
        assertThat(head).containsOnlyKeys(ST, BIN, WHOLE, SHARD1, SHARD2, INDEX);
        assertThat(head.get(SHARD1)).containsEntry("shardOf", INDEX).containsEntry("tensors", 1);
        assertThat(head.get(INDEX))
                .containsEntry("format", "sharded")
                .containsEntry("shardOf", null)
                .containsEntry("tensors", 2)
                .containsEntry("parameters", 2 * 128)
                .containsEntry("fileSize", shard("x", 1).length + shard("y", 2).length)
                .containsEntry("totalBytes", (int) (sum(objectsOf("HEAD", SHARD1)) + sum(objectsOf("HEAD", SHARD2))));
        Map<String, Object> st = head.get(ST);
        Map<String, Long> stV2 = objectsOf("HEAD", ST);
        Map<String, Long> added = new LinkedHashMap<>(stV2);
        added.keySet().removeAll(stV1.keySet());
        assertThat(st)
                .containsEntry("version", v2)
                .containsEntry("format", "safetensors")
                .containsEntry("tensors", 3)
                .containsEntry("parameters", 64 * 32 + 32 * 32 + 128)
                .containsEntry("fileSize", checkpoint(2).length)
                .containsEntry("storage", Map.of("xor-delta", 3))
                .containsEntry("maxChainDepth", 1)
                .containsEntry("newBytes", (int) sum(added))
                .containsEntry("totalBytes", (int) sum(stV2))
                .containsEntry("shardOf", null);
        assertThat(added).hasSize(3);
        assertThat(objects(st))
                .containsEntry("state", "local")
                .containsEntry("count", 6)
                .containsEntry("local", 6);
        assertThat(head.get(BIN))
                .containsEntry("format", "torch-zip")
                .containsEntry("fileSize", GgufEndToEndTest.reference("pytorch_model.bin").length)
                .containsEntry("maxChainDepth", 0)
                .containsEntry("newBytes", 0)
                .containsEntry("totalBytes", (int) sum(objectsOf("HEAD", BIN)));
        assertThat((int) head.get(BIN).get("tensors")).isPositive();
        assertThat(head.get(WHOLE))
                .containsEntry("format", "opaque")
                .containsEntry("tensors", 0)
                .containsEntry("fileSize", whole.length)
                .containsEntry("storage", Map.of("dense", 1));
        assertThat(byPath("git", "theta", "ls-files", "HEAD~1", "--json").get(ST))
                .containsEntry("version", v1)
                .containsEntry("newBytes", (int) sum(stV1))
                .containsEntry("maxChainDepth", 0);

        List<Map<String, Object>> all =
                TestJson.list(TestJson.parse(git.ok(repo, "git", "theta", "ls-files", "--all", "--json"))
                        .get("checkpoints"));
        assertThat(all)
                .extracting(c -> c.get("version") + " " + c.get("path"))
                .containsExactly(
                        v1 + " " + ST,
                        v1 + " " + WHOLE,
                        v1 + " " + BIN,
                        v1 + " " + SHARD1,
                        v1 + " " + SHARD2,
                        v2 + " " + ST);

        assertThat(git.ok(repo, "git", "theta", "ls-files"))
                .contains("path", "format", "depth", "stored whole", "torch-zip", "3 xor-delta");

        Map<String, Map<String, Object>> clean = byPath("git", "theta", "status", "--json");
        assertThat(clean.values())
                .allSatisfy(c -> assertThat(c)
                        .containsEntry("version", "index")
                        .containsEntry("staged", "unchanged")
                        .containsEntry("workTree", "unmodified"));

        // a changed file, a file whose stat changed but not its bytes, a deleted file: nothing may be stored
        Set<String> before = stored();
        Files.write(repo.resolve(ST), checkpoint(3));
        Files.setLastModifiedTime(repo.resolve(BIN), FileTime.from(Instant.now().plusSeconds(5)));
        Files.delete(repo.resolve(WHOLE));
        Map<String, Map<String, Object>> changed = byPath("git", "theta", "status", "--json");
        assertThat(changed.get(ST)).containsEntry("workTree", "modified");
        assertThat(changed.get(BIN)).containsEntry("workTree", "unmodified");
        assertThat(changed.get(WHOLE)).containsEntry("workTree", "deleted");
        assertThat(stored()).isEqualTo(before);
        assertThat(git.ok(repo, "git", "theta", "status")).contains("staged", "work tree", "modified", "deleted");

        git.ok(repo, "git", "add", ST);
        assertThat(byPath("git", "theta", "status", "--json").get(ST))
                .containsEntry("staged", "modified")
                .containsEntry("workTree", "unmodified");
    }

    @Test
    void objectsAreReportedLocalOnlyOnTheRemoteUnknownOrMissing() throws IOException {
        git.commit(repo, BIN, GgufEndToEndTest.reference("pytorch_model.bin"), "-m", "v1");
        Path remote = tmp.resolve("remote.git");
        git.ok(tmp, "git", "init", "-q", "--bare", remote.toString());
        git.ok(repo, "git", "remote", "add", "origin", remote.toString());
        git.ok(repo, "git", "push", "-q", "origin", "main");

        // gc knows a manifest by its content, not by the path's name: a .bin's objects are in use
        git.ok(repo, "git", "theta", "gc", "--prune=now");
        assertThat(stored()).containsAll(objectsOf("HEAD", BIN).keySet());

        String victim = objectsOf("HEAD", BIN).keySet().iterator().next();
        Files.delete(StoreFiles.object(repo.resolve(".git"), victim));

        Map<String, Object> onRemote =
                byPath("git", "theta", "ls-files", "--json").get(BIN);
        assertThat(objects(onRemote))
                .containsEntry("state", "remote")
                .containsEntry("remoteOnly", 1)
                .containsEntry("missing", 0);
        Map<String, Object> offline =
                byPath("git", "theta", "status", "--offline", "--json").get(BIN);
        assertThat(objects(offline)).containsEntry("state", "unknown").containsEntry("unknown", 1);

        // gone from the remote too
        Path remoteCopy = StoreFiles.object(remote, victim);
        assertThat(remoteCopy).isRegularFile();
        Files.delete(remoteCopy);
        assertThat(objects(byPath("git", "theta", "ls-files", "--json").get(BIN)))
                .containsEntry("state", "missing")
                .containsEntry("missing", 1);

        git.ok(repo, "git", "remote", "remove", "origin");
        assertThat(objects(byPath("git", "theta", "ls-files", "--json").get(BIN)))
                .containsEntry("state", "missing")
                .containsEntry("missing", 1)
                .containsEntry("local", (int) objects(onRemote).get("count") - 1);
        assertThat(git.ok(repo, "git", "theta", "ls-files")).contains("missing (1 of ");
    }

    @Test
    void squashThenCommitLetsGcRemoveTheOldBasesAndEveryReachableVersionChecksOut() throws IOException {
        byte[] v1 = git.commit(repo, ST, checkpoint(1), "-m", "v1");
        Set<String> base = objectsOf("HEAD", ST).keySet();
        git.ok(repo, "git", "checkout", "-q", "-b", "ft");
        byte[] last = null;
        for (long seed = 2; seed <= 4; seed++) {
            last = addAsDelta(seed);
            git.ok(repo, "git", "commit", "-q", "-m", "v" + seed);
        }
        Set<String> chain = objectsOf("HEAD", ST).keySet();
        assertThat(chain).hasSize(12).containsAll(base);
        assertThat(byPath("git", "theta", "ls-files", "--json").get(ST)).containsEntry("maxChainDepth", 3);

        Set<String> before = stored();
        Command.Result squash = git.run(repo, "git", "theta", "squash");
        assertThat(squash.exit()).as(squash.err()).isZero();
        assertThat(squash.out()).contains(ST + ": 3 parameters squashed (longest delta chain was 3)");
        assertThat(stored()).containsAll(before);
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEqualTo("M  " + ST + "\n");
        assertThat(byPath("git", "theta", "status", "--json").get(ST))
                .containsEntry("staged", "storage-only")
                .containsEntry("workTree", "unmodified")
                .containsEntry("maxChainDepth", 0)
                .containsEntry("storage", Map.of("dense", 3));
        Command.Result again = git.run(repo, "git", "theta", "squash");
        assertThat(again.out()).isEmpty();
        assertThat(again.err()).contains("nothing to squash");
        GitRepoFixture.assertSameBytes(repo.resolve(ST), last);

        git.ok(repo, "git", "commit", "-q", "-m", "squashed");
        Set<String> squashed = objectsOf("HEAD", ST).keySet();
        assertThat(squashed).hasSize(3).doesNotContainAnyElementsOf(chain);
        // the fine-tune's commits become one (as a rebase would); the old deltas are then unreachable
        git.ok(repo, "git", "reset", "-q", "--soft", "main");
        git.ok(repo, "git", "commit", "-q", "-m", "fine-tune, one commit");
        git.ok(repo, "git", "reflog", "expire", "--expire=now", "--all");
        Command.Result gc = git.run(repo, "git", "theta", "gc", "--prune=now");
        assertThat(gc.exit()).as(gc.err()).isZero();
        Set<String> oldDeltas = new HashSet<>(chain);
        oldDeltas.removeAll(base);
        assertThat(gc.err()).contains("removed " + oldDeltas.size() + " objects");
        Set<String> kept = new HashSet<>(base);
        kept.addAll(squashed);
        assertThat(stored()).isEqualTo(kept);
        assertThat(git.run(repo, "git", "theta", "fsck").exit()).isZero();

        for (String branch : List.of("main", "ft")) {
            git.ok(repo, "git", "checkout", "-q", branch);
            Files.delete(repo.resolve(ST));
            git.ok(repo, "git", "checkout", "--", ST);
            GitRepoFixture.assertSameBytes(repo.resolve(ST), branch.equals("main") ? v1 : last);
        }
    }
}
