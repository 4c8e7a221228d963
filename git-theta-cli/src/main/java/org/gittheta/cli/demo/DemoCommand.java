package org.gittheta.cli.demo;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.gittheta.cli.Launcher;
import org.gittheta.cli.UserException;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.Floats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Run git-theta end to end in a fresh temporary repository: track, commit, fine-tune, "
                + "check out byte-identically.")
public final class DemoCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--keep", description = "Keep the demo repository instead of deleting it.")
    boolean keep;

    private Path repo;
    private Map<String, String> env;

    @Override
    public Integer call() throws IOException {
        Path home = Files.createTempDirectory("git-theta-demo");
        repo = home.resolve("model-repo");
        Files.createDirectories(repo);
        // an isolated git configuration: the demo never touches the user's own
        env = Map.of(
                "GIT_CONFIG_GLOBAL",
                home.resolve("gitconfig").toString(),
                "GIT_CONFIG_NOSYSTEM",
                "1",
                "PATH",
                Launcher.path().getParent() + java.io.File.pathSeparator + System.getenv("PATH"),
                "GIT_AUTHOR_NAME",
                "Demo",
                "GIT_AUTHOR_EMAIL",
                "demo@example.com",
                "GIT_COMMITTER_NAME",
                "Demo",
                "GIT_COMMITTER_EMAIL",
                "demo@example.com");
        try {
            run();
            System.out.println();
            System.out.println(
                    "Demo finished: every checkout was byte-identical." + (keep ? " Repository kept at " + repo : ""));
            return 0;
        } finally {
            if (!keep) deleteTree(home);
        }
    }

    private void run() throws IOException {
        DemoModel model = DemoModel.small();
        Path file = repo.resolve("model.safetensors");
        step("Set up a repository that tracks checkpoints with git-theta");
        sh("git", "init", "-q", "-b", "main");
        sh("git", "theta", "install", "--local");
        sh("git", "theta", "track", "*.safetensors");
        sh("cat", ".gitattributes");

        step("Commit a " + model.params().size() + "-parameter bf16 checkpoint");
        model.write(file, name -> false, 0, 0);
        String base = sha256(file);
        sh("git", "add", ".gitattributes", "model.safetensors");
        sh("git", "commit", "-q", "-m", "base model");
        System.out.printf(
                "   checkpoint: %,d bytes; git stores a %,d-byte manifest; object store: %s%n",
                Files.size(file), Integer.parseInt(git("cat-file", "-s", "HEAD:model.safetensors")), storeSummary());
        shHead(6, "git", "show", "HEAD:model.safetensors");

        step("Fine-tune the attention of layer 0 and commit again: only the changed parameters are stored");
        model.write(file, name -> name.startsWith("model.layers.0.self_attn."), 1e-2, 1);
        String tuned = sha256(file);
        sh("git", "commit", "-q", "-am", "fine-tune layer 0 attention");
        sh("git", "diff", "--stat", "HEAD~1", "HEAD");
        System.out.println("   object store: " + storeSummary());

        step("Delete the file and check it out again: the bytes are identical");
        Files.delete(file);
        sh("git", "checkout", "--", "model.safetensors");
        expectSame(file, tuned, "checkout of HEAD");
        sh("git", "checkout", "-q", "HEAD~1", "--", "model.safetensors");
        expectSame(file, base, "checkout of HEAD~1");
        sh("git", "checkout", "-q", "HEAD", "--", "model.safetensors");
        expectSame(file, tuned, "checkout of HEAD again");
        sh("git", "status", "--short");
        mergeFineTunes(file);
        historyStep();
    }

    private void historyStep() throws IOException {
        step("Look at the history parameter by parameter");
        sh("git", "theta", "diff", "HEAD~1", "HEAD");
        sh("git", "theta", "log");
        shHead(6, "git", "theta", "show", "HEAD:model.safetensors");
    }

    /**
     * Two fine-tunes of the current commit on branches, touching different layers plus two shared tensors, merged
     * with git: the shared ones by a strategy and a rule, everything else bit-exact from the side that changed it.
     */
    private void mergeFineTunes(Path file) throws IOException {
        step("Fine-tune on two branches: tune-a changes layer 1's MLP, tune-b layer 2's; both change "
                + "model.norm and lm_head");
        Predicate<String> shared = n -> n.equals("model.norm.weight") || n.equals("lm_head.weight");
        sh("git", "checkout", "-q", "-b", "tune-a");
        Map<String, byte[]> a = tune(file, n -> n.startsWith("model.layers.1.mlp.") || shared.test(n), 2);
        sh("git", "commit", "-q", "-am", "tune-a: layer 1 MLP");
        sh("git", "checkout", "-q", "-b", "tune-b", "HEAD~1");
        Map<String, byte[]> b = tune(file, n -> n.startsWith("model.layers.2.mlp.") || shared.test(n), 3);
        sh("git", "commit", "-q", "-am", "tune-b: layer 2 MLP");

        step("Merge tune-b into tune-a: TIES for shared tensors, and a rule that keeps tune-b's lm_head");
        sh("git", "checkout", "-q", "tune-a");
        sh("git", "config", "--add", "theta.merge.rule", "lm_head* theirs");
        sh("git", "theta", "merge", "--strategy", "ties", "--density", "0.5", "--no-edit", "tune-b");
        sh("git", "log", "--oneline", "--graph", "-4");
        Map<String, byte[]> merged = tensors(file);
        for (Map.Entry<String, byte[]> e : merged.entrySet()) {
            String n = e.getKey();
            byte[] expected = n.startsWith("model.layers.2.mlp.") || n.equals("lm_head.weight")
                    ? b.get(n)
                    : n.equals("model.norm.weight") ? null : a.get(n);
            if (expected != null && !Arrays.equals(expected, e.getValue())) {
                throw new UserException(
                        "demo: merged parameter " + n + " is not bit-exact from the side that changed it");
            }
        }
        if (Arrays.equals(merged.get("model.norm.weight"), a.get("model.norm.weight"))
                || Arrays.equals(merged.get("model.norm.weight"), b.get("model.norm.weight"))) {
            throw new UserException("demo: model.norm.weight was not merged");
        }
        System.out.println("   every parameter only one side changed is bit-exact from that side; model.norm.weight "
                + "is merged by TIES");
        String mergedSha = sha256(file);
        Files.delete(file);
        sh("git", "checkout", "--", "model.safetensors");
        expectSame(file, mergedSha, "checkout of the merge");
    }

    /** Moves the selected bf16 tensors of the checkpoint by a seeded fine-tune step; returns every tensor's bytes
     * after. */
    private static Map<String, byte[]> tune(Path file, Predicate<String> selected, long seed) throws IOException {
        byte[] content = Files.readAllBytes(file);
        for (TensorSlot slot : layout(file, content).tensors()) {
            if (!selected.test(slot.name())) continue;
            SplittableRandom r =
                    new java.util.SplittableRandom(seed * 31 + slot.name().hashCode());
            for (long off = slot.offset(); off < slot.end(); off += 2) {
                int i = (int) off;
                short bits = (short) ((content[i] & 0xff) | content[i + 1] << 8);
                float w = Floats.bf16ToFloat(bits);
                short tuned = Floats.floatToBf16((float) (w + 1e-2 * Math.abs(w) * r.nextGaussian()));
                content[i] = (byte) tuned;
                content[i + 1] = (byte) (tuned >> 8);
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        return tensors(file);
    }

    private static CheckpointLayout layout(Path file, byte[] content) throws IOException {
        return SafetensorsFormat.INSTANCE.read(file.toString(), MemorySegment.ofArray(content));
    }

    private static Map<String, byte[]> tensors(Path file) throws IOException {
        byte[] content = Files.readAllBytes(file);
        Map<String, byte[]> m = new HashMap<>();
        for (TensorSlot slot : layout(file, content).tensors()) {
            m.put(slot.name(), Arrays.copyOfRange(content, (int) slot.offset(), (int) slot.end()));
        }
        return m;
    }

    private void step(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private void sh(String... cmd) throws IOException {
        shHead(Integer.MAX_VALUE, cmd);
    }

    /** Runs a command in the demo repository, echoing it and at most {@code maxLines} of its output. */
    private void shHead(int maxLines, String... cmd) throws IOException {
        System.out.println("$ " + String.join(" ", cmd));
        String out = exec(cmd);
        List<String> lines = out.lines().toList();
        lines.stream()
                .limit(maxLines)
                .forEach(l -> System.out.println("   " + (l.length() > 160 ? l.substring(0, 157) + "..." : l)));
        if (lines.size() > maxLines) System.out.println("   ... (" + (lines.size() - maxLines) + " more lines)");
    }

    private String git(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        return exec(cmd.toArray(String[]::new)).strip();
    }

    private String exec(String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                System.err.println(out.strip()); // what the step said, as it said it: our own commands' output
                throw new UserException("demo step failed: " + String.join(" ", cmd));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private String storeSummary() throws IOException {
        Path objects = repo.resolve(".git/theta/objects");
        long[] countAndBytes = new long[2];
        if (Files.isDirectory(objects)) {
            try (Stream<Path> s = Files.walk(objects)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    countAndBytes[0]++;
                    countAndBytes[1] += Files.size(p);
                }
            }
        }
        return String.format("%,d objects, %,d bytes", countAndBytes[0], countAndBytes[1]);
    }

    private static void expectSame(Path file, String expectedSha, String what) throws IOException {
        String actual = sha256(file);
        if (!actual.equals(expectedSha))
            throw new UserException("demo: " + what + " is not byte-identical (sha256 " + actual + ")");
        System.out.println("   sha256 " + actual.substring(0, 16) + "... identical to what was committed");
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = ObjectStore.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
