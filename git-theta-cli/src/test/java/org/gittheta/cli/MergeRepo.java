package org.gittheta.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TensorSlot;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.testdata.TorchZipWriter;
import org.gittheta.testing.Command;
import org.gittheta.testing.FileTrees;
import org.gittheta.testing.GitSandbox;

/** A temporary git repository with git-theta installed from this worktree, isolated from the user's configuration. */
final class MergeRepo implements AutoCloseable {
    /** The base values of the three tensors {@link #commitModel} writes (read only). */
    static final double[] BASE_W = {0.5, -1.0, 2.0, 0.25};

    static final double[] BASE_H = {1, 2, 3};
    static final double[] BASE_N = {1, 1};

    final Path home;
    final Path dir;
    /** The checkpoint the merge tests commit, {@code model.safetensors} at the top. */
    final Path model;

    private final GitSandbox sandbox;

    MergeRepo() throws IOException {
        home = Files.createTempDirectory("theta-merge-test");
        dir = home.resolve("repo");
        model = dir.resolve("model.safetensors");
        Files.createDirectories(dir);
        sandbox = GitRepoFixture.sandbox(home);
        for (String who : List.of("AUTHOR", "COMMITTER")) sandbox.set("GIT_" + who + "_DATE", "2026-01-01T00:00:00Z");
        git("init", "-q", "-b", "main");
        git("theta", "install", "--local");
        git("theta", "track", "*.safetensors");
        git("add", ".gitattributes");
        git("commit", "-qm", "track checkpoints");
    }

    /**
     * Writes and commits {@code model.safetensors} of the merge tests' three tensors: w (bf16 [4]), head (f32 [3])
     * and norm (f16 [2]).
     */
    void commitModel(String message, double[] w, double[] head, double[] norm) throws IOException {
        write(model, List.of(T.of("w", DType.BF16, w), T.of("head", DType.F32, head), T.of("norm", DType.F16, norm)));
        git("add", "model.safetensors");
        git("commit", "-qm", message);
    }

    /** Writes and stages {@code notes.txt}, a file git-theta does not track: the merge tests' plain-text change. */
    void stageNotes(String text) throws IOException {
        Files.writeString(dir.resolve("notes.txt"), text);
        git("add", "notes.txt");
    }

    /**
     * How many cleans the filter processes that wrote {@code stats} ({@code GIT_THETA_CLEAN_STATS}) did, cached or in
     * full: each process adds a line {@code cached <n> full <m>} when it ends.
     */
    static long cleans(Path stats) throws IOException {
        if (!Files.exists(stats)) return 0;
        long cleans = 0;
        for (String line : Files.readAllLines(stats)) {
            String[] f = line.split(" ");
            cleans += Long.parseLong(f[1]) + Long.parseLong(f[3]);
        }
        return cleans;
    }

    /** A command in the repository; its standard error is part of its output. */
    Command.Result exec(String... cmd) throws IOException {
        return sandbox.command(dir, cmd).errorsIntoOutput().run();
    }

    /** A command in the repository with these environment variables too. */
    Command.Result exec(Map<String, String> env, String... cmd) throws IOException {
        return sandbox.command(dir, cmd).env(env).errorsIntoOutput().run();
    }

    /** Runs git, which must succeed; returns its output. */
    String git(String... args) throws IOException {
        return gitMayFail(args).assertOk().out();
    }

    Command.Result gitMayFail(String... args) throws IOException {
        return sandbox.gitCommand(dir, args).errorsIntoOutput().run();
    }

    /** The commit a revision names. */
    String rev(String r) throws IOException {
        return git("rev-parse", r).strip();
    }

    /**
     * Everything a refused or dry-run merge must leave as it was: refs, git's objects, the parameter store, the
     * work tree (with {@code file}'s bytes), merge state. Temporaries and the stat cache are left out: the
     * snapshot's own {@code git status} fills the cache once the file has settled.
     */
    String snapshot(Path file) throws IOException {
        StringBuilder b = new StringBuilder(git("for-each-ref")).append(rev("HEAD"));
        b.append(git("count-objects", "-v")).append(git("status", "--porcelain", "--ignored"));
        try (Stream<Path> s = Files.walk(dir.resolve(".git"))) {
            s.map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.startsWith(".git/theta/tmp") && !p.startsWith(".git/theta/stat-cache"))
                    .filter(p -> p.startsWith(".git/theta") || p.matches(".git/[A-Z_]+"))
                    .sorted()
                    .forEach(p -> b.append(p).append('\n'));
        }
        return b.append(Arrays.toString(Files.readAllBytes(file))).toString();
    }

    /** A tensor of a checkpoint to write (safetensors, or torch zip for a .bin): values are rounded to the dtype. */
    record T(String name, DType dtype, Shape shape, double[] values) {
        static T of(String name, DType dtype, double... values) {
            return new T(name, dtype, Shape.of(values.length), values);
        }
    }

    static void write(Path file, List<T> tensors) throws IOException {
        List<SafetensorsWriter.Tensor> out = new ArrayList<>();
        for (T t : tensors) {
            out.add(new SafetensorsWriter.Tensor(t.name(), t.dtype(), t.shape(), o -> o.write(bytes(t))));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream o = Files.newOutputStream(file)) {
            if (file.toString().endsWith(".bin")) TorchZipWriter.write("pytorch_model", out, o);
            else SafetensorsWriter.write(out, Map.of("format", "pt"), o);
        }
    }

    static byte[] bytes(T t) {
        byte[] b = new byte[(int) t.dtype().byteSize(t.values().length)];
        TensorView v = new TensorView(MemorySegment.ofArray(b), t.dtype());
        for (int i = 0; i < t.values().length; i++) v.set(i, t.values()[i]);
        return b;
    }

    /** Each tensor's raw bytes in a checkpoint file of any format. */
    static Map<String, byte[]> tensors(Path file) throws IOException {
        byte[] content = Files.readAllBytes(file);
        MemorySegment segment = MemorySegment.ofArray(content);
        CheckpointLayout layout = Formats.detect(segment).orElseThrow().read(file.toString(), segment);
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (TensorSlot s : layout.tensors()) {
            byte[] b = new byte[(int) s.length()];
            System.arraycopy(content, (int) s.offset(), b, 0, b.length);
            m.put(s.name(), b);
        }
        return m;
    }

    static double[] values(byte[] raw, DType dtype) {
        TensorView v = new TensorView(MemorySegment.ofArray(raw), dtype);
        double[] d = new double[(int) v.count()];
        for (int i = 0; i < d.length; i++) d[i] = v.get(i);
        return d;
    }

    @Override
    public void close() throws IOException {
        FileTrees.delete(home);
    }
}
