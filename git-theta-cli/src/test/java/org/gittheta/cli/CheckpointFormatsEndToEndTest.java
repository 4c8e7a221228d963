package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TensorSlot;
import org.gittheta.format.TorchZipFormat;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TorchZipWriter;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch zip checkpoints, files that are not checkpoints and broken ones, through real git: the format is found
 * by content, what cannot be split is stored whole, what is broken is refused with one line and nothing staged.
 */
class CheckpointFormatsEndToEndTest {
    @TempDir
    Path tmp;

    private GitRepoFixture git;
    private Path repo;

    private void newRepo() throws IOException {
        git = new GitRepoFixture(tmp);
        repo = git.newRepo("repo");
        git.track(repo, "*.bin", "*.pt", "*.gguf");
    }

    private static byte[] reference(String name) throws IOException {
        return GgufEndToEndTest.reference(name);
    }

    private String manifest(String rev, String path) throws IOException {
        return git.ok(repo, "git", "cat-file", "-p", rev + ":" + path);
    }

    private static List<String> ourLines(String err) {
        return err.lines().filter(l -> l.startsWith("git-theta:")).toList();
    }

    /** Deletes the file and checks it out again from the index, then from a fresh clone. */
    private void assertChecksOut(String path, byte[] content) throws IOException {
        Files.delete(repo.resolve(path));
        git.ok(repo, "git", "checkout", "--", path);
        GitRepoFixture.assertSameBytes(repo.resolve(path), content);
    }

    /**
     * Every file the real torch.save and gguf libraries wrote (the shared test data, copied into the core tests'
     * resources) in one {@code git add .}: each is split or stored whole as its content says, and after
     * {@code git rm} and {@code git checkout} each comes back byte for byte.
     */
    @Test
    void everyReferenceFileRoundTripsThroughGit() throws IOException {
        newRepo();
        Map<String, String> formats = Map.of(
                "torch-zip-mixed.pt", "torch-zip",
                "pytorch_model.bin", "torch-zip",
                "pytorch_model-ft.bin", "torch-zip",
                "torch-legacy.pt", "opaque",
                "torch-malicious.pt", "opaque",
                "gguf-mixed.gguf", "gguf",
                "gguf-align64.gguf", "gguf");
        for (String name : formats.keySet()) Files.write(repo.resolve(name), reference(name));
        git.ok(repo, "git", "add", ".");
        git.ok(repo, "git", "commit", "-q", "-m", "reference files");
        git.ok(repo, "git", "rm", "-q", "--", "*.pt", "*.bin", "*.gguf");
        assertThat(repo.resolve("gguf-mixed.gguf")).doesNotExist();
        git.ok(repo, "git", "checkout", "HEAD", "--", ".");
        for (var e : formats.entrySet()) {
            assertThat(manifest("HEAD", e.getKey())).as(e.getKey()).contains("format " + e.getValue() + "\n");
            GitRepoFixture.assertSameBytes(repo.resolve(e.getKey()), reference(e.getKey()));
        }
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
    }

    @Test
    void aFineTuneOfAPytorchBinStoresOnlyTheChangedParameter() throws IOException {
        newRepo();
        byte[] v1 = reference("pytorch_model.bin");
        byte[] v2 = reference("pytorch_model-ft.bin");
        git.commit(repo, "pytorch_model.bin", v1, "-m", "base");
        assertThat(manifest("HEAD", "pytorch_model.bin"))
                .contains("format torch-zip\n")
                .contains("param layers.1.weight ");
        List<Path> before = StoreFiles.objects(repo.resolve(".git"));
        Files.write(repo.resolve("pytorch_model.bin"), v2);
        git.ok(repo, "git", "commit", "-q", "-am", "fine-tune");
        assertThat(StoreFiles.objects(repo.resolve(".git"))).hasSize(before.size() + 1);
        assertThat(git.ok(repo, "git", "diff", "HEAD~1", "HEAD")
                        .lines()
                        .filter(l -> l.startsWith("+param") || l.startsWith("-param")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains(" layers.1.weight "));

        git.ok(repo, "git", "checkout", "-q", "HEAD~1");
        GitRepoFixture.assertSameBytes(repo.resolve("pytorch_model.bin"), v1);
        git.ok(repo, "git", "checkout", "-q", "main");
        GitRepoFixture.assertSameBytes(repo.resolve("pytorch_model.bin"), v2);
    }

    /** Parameters are stored by value: the .bin converted to model.safetensors (same values) stores no object. */
    @Test
    void convertingAPytorchBinToSafetensorsStoresNoNewObjects() throws IOException {
        newRepo();
        byte[] bin = git.commit(repo, "pytorch_model.bin", reference("pytorch_model.bin"), "-m", "bin");
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (TensorSlot t : TorchZipFormat.INSTANCE
                .read("pytorch_model.bin", MemorySegment.ofArray(bin))
                .tensors()) {
            byte[] values = Arrays.copyOfRange(bin, (int) t.offset(), (int) t.end());
            tensors.add(new SafetensorsWriter.Tensor(t.name(), t.dtype(), t.shape(), out -> out.write(values)));
        }
        List<Path> before = StoreFiles.objects(repo.resolve(".git"));
        assertThat(before).isNotEmpty();
        git.ok(repo, "git", "rm", "-q", "pytorch_model.bin");
        try (OutputStream out = Files.newOutputStream(repo.resolve("model.safetensors"))) {
            SafetensorsWriter.write(tensors, Map.of("format", "pt"), out);
        }
        byte[] converted = Files.readAllBytes(repo.resolve("model.safetensors"));
        git.ok(repo, "git", "add", "model.safetensors");
        git.ok(repo, "git", "commit", "-q", "-m", "converted to safetensors");
        assertThat(manifest("HEAD", "model.safetensors")).contains("format safetensors\n");
        assertThat(StoreFiles.objects(repo.resolve(".git"))).isEqualTo(before);
        assertChecksOut("model.safetensors", converted);
    }

    @Test
    void aTorchZipRoundTripsThroughCheckoutAndClone() throws IOException {
        newRepo();
        byte[] content = git.commit(repo, "mixed.pt", reference("torch-zip-mixed.pt"), "-m", "mixed");
        git.ok(repo, "git", "rm", "-q", "mixed.pt");
        git.ok(repo, "git", "checkout", "HEAD", "--", "mixed.pt");
        GitRepoFixture.assertSameBytes(repo.resolve("mixed.pt"), content);
        // pushed through the hook to a bare repository on disk, then cloned from there
        git.ok(git.home, "git", "init", "-q", "--bare", "-b", "main", "remote.git");
        git.ok(
                repo,
                "git",
                "remote",
                "add",
                "origin",
                git.home.resolve("remote.git").toString());
        git.ok(repo, "git", "push", "-q", "origin", "main");
        // its tensors are tiny: inline in the manifest, so the push has no object to send
        assertThat(manifest("HEAD", "mixed.pt")).contains(" update=inline values=");
        assertThat(StoreFiles.count(git.home.resolve("remote.git"))).isEqualTo(StoreFiles.count(repo.resolve(".git")));
        git.ok(git.home, "git", "clone", "-q", "remote.git", "clone");
        GitRepoFixture.assertSameBytes(git.home.resolve("clone/mixed.pt"), content);
    }

    /**
     * torch.save writes the dtypes that have no typed storage class (float8, uint16..64) with {@code
     * _rebuild_tensor_v3} over an untyped storage: such a state dict is split like any other, not stored whole.
     */
    @Test
    void float8AndUint16TensorsOfATorchZipAreParameters() throws IOException {
        newRepo();
        Random random = new Random(8);
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (DType dtype : List.of(DType.F8_E4M3, DType.F8_E5M2, DType.U16, DType.F32)) {
            byte[] values = new byte[(int) dtype.byteSize(300)];
            random.nextBytes(values);
            tensors.add(new SafetensorsWriter.Tensor(
                    dtype.name().toLowerCase(), dtype, Shape.of(20, 15), out -> out.write(values)));
        }
        byte[] content = TorchZipWriter.bytes("fp8", tensors);
        Files.write(repo.resolve("fp8.pt"), content);

        Command.Result add = git.run(repo, "git", "add", "fp8.pt");

        assertThat(add.exit()).isZero();
        assertThat(add.err()).doesNotContain("stored whole");
        assertThat(manifest(":0", "fp8.pt"))
                .contains("format torch-zip\n")
                .contains("param f8_e4m3 dtype=F8_E4M3 shape=[20,15] ")
                .contains("param f8_e5m2 dtype=F8_E5M2 shape=[20,15] ")
                .contains("param u16 dtype=U16 shape=[20,15] ");
        git.ok(repo, "git", "commit", "-q", "-m", "fp8");
        assertChecksOut("fp8.pt", content);
    }

    @Test
    void aHostilePickleIsStoredWholeAndNothingRuns() throws IOException {
        newRepo();
        byte[] content = reference("torch-malicious.pt");
        Files.write(repo.resolve("notes.pt"), content);
        Command.Result add = git.run(repo, "git", "add", "notes.pt").assertOk();
        assertThat(ourLines(add.err()))
                .containsExactly("git-theta: notes.pt: stored whole: not a state dict: global 'posix system'");
        git.ok(repo, "git", "commit", "-q", "-m", "notes");
        assertThat(manifest("HEAD", "notes.pt")).contains("format opaque\n").contains("param (file) dtype=U8");
        assertChecksOut("notes.pt", content);
        // what the pickle would run: "echo this must never run > pwned-by-checkpoint", in the filter's directory
        try (var files = Files.walk(git.home)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("pwned")))
                    .isEmpty();
        }

        Files.write(repo.resolve("other.pt"), content);
        Command.Result refused = git.run(repo, "git", "-c", "theta.opaque=refuse", "add", "other.pt");
        assertThat(refused.exit()).isNotZero();
        assertThat(ourLines(refused.err()))
                .singleElement()
                .asString()
                .startsWith("git-theta: other.pt: refused (theta.opaque=refuse)")
                .contains("posix system");
        assertThat(git.ok(repo, "git", "ls-files", "other.pt")).isEmpty();
    }

    @Test
    void legacyPicklesAndRandomBinariesAreStoredWholeAndRoundTrip() throws IOException {
        newRepo();
        byte[] legacy = reference("torch-legacy.pt");
        byte[] random = new byte[(3 << 20) + 17];
        new Random(11).nextBytes(random);
        Files.write(repo.resolve("old.pt"), legacy);
        Files.write(repo.resolve("blob.bin"), random);
        Command.Result add = git.run(repo, "git", "add", "old.pt", "blob.bin").assertOk();
        assertThat(ourLines(add.err()))
                .containsExactlyInAnyOrder(
                        "git-theta: old.pt: stored whole: legacy PyTorch pickle (saved before torch 1.6), "
                                + "not unpickled",
                        "git-theta: blob.bin: stored whole: not a safetensors, PyTorch zip or GGUF checkpoint");
        git.ok(repo, "git", "commit", "-q", "-m", "whole");
        assertThat(manifest("HEAD", "old.pt")).contains("format opaque\n");
        assertThat(manifest("HEAD", "blob.bin")).contains("format opaque\n").contains("shape=[" + random.length + "]");
        assertChecksOut("old.pt", legacy);
        assertChecksOut("blob.bin", random);

        random[1000] ^= 1;
        Files.write(repo.resolve("blob.bin"), random);
        assertThat(git.ok(repo, "git", "theta", "diff")).contains("blob.bin").contains("stored whole: modified");
        git.ok(repo, "git", "commit", "-q", "-am", "one bit");
        assertThat(git.ok(repo, "git", "theta", "log", "blob.bin")).contains("stored whole: modified");
        assertThat(git.ok(repo, "git", "theta", "show", "HEAD:blob.bin"))
                .contains("1 parameter, ")
                .contains("(stored whole, ");
        assertChecksOut("blob.bin", random);
    }

    /**
     * A Hugging Face training folder (core test resources hf-folder/, see its generate.py): {@code git add .} stores
     * training_args.bin (a pickled TrainingArguments object) and a tokenizer of another format whole, one line each,
     * and splits the optimizer's state (tensors beside floats, tuples, lists and int keys) and the scheduler's (no
     * tensor); everything checks out byte for byte. Under theta.opaque=refuse the same {@code git add .} fails.
     */
    @Test
    void aTrainingFolderIsAddedWithGitAddDot() throws IOException {
        newRepo();
        git.track(repo, "*.model");
        Path run = Files.createDirectories(repo.resolve("checkpoint-500"));
        Map<String, byte[]> files = new HashMap<>();
        for (String name : List.of("training_args.bin", "optimizer.pt", "scheduler.pt")) {
            try (var in = getClass().getResourceAsStream("/hf-folder/" + name)) {
                files.put(name, in.readAllBytes());
            }
        }
        byte[] tokenizer = new byte[5000];
        new Random(3).nextBytes(tokenizer);
        files.put("tokenizer.model", tokenizer);
        files.put("pytorch_model.bin", reference("pytorch_model.bin"));
        files.put("config.json", "{\"model_type\": \"llama\"}\n".getBytes(StandardCharsets.UTF_8));
        for (var e : files.entrySet()) Files.write(run.resolve(e.getKey()), e.getValue());

        Command.Result refused = git.run(repo, "git", "-c", "theta.opaque=refuse", "add", ".");
        assertThat(refused.exit()).isNotZero();
        assertThat(ourLines(refused.err())).singleElement().asString().contains("refused (theta.opaque=refuse)");
        assertThat(git.ok(repo, "git", "ls-files", "checkpoint-500")).isEmpty();

        Command.Result add = git.run(repo, "git", "add", ".").assertOk();
        assertThat(ourLines(add.err()))
                .containsExactlyInAnyOrder(
                        "git-theta: checkpoint-500/training_args.bin: stored whole: not a state dict: "
                                + "global 'transformers.training_args TrainingArguments'",
                        "git-theta: checkpoint-500/tokenizer.model: stored whole: "
                                + "not a safetensors, PyTorch zip or GGUF checkpoint");
        git.ok(repo, "git", "commit", "-q", "-m", "checkpoint-500");
        assertThat(manifest("HEAD", "checkpoint-500/training_args.bin")).contains("format opaque\n");
        assertThat(manifest("HEAD", "checkpoint-500/optimizer.pt"))
                .contains("format torch-zip\n")
                .contains("param state.0.exp_avg dtype=F32 shape=[8,8] ")
                .contains("param state.0.exp_avg_sq ")
                .contains("param state.0.step dtype=F32 shape=[] ");
        assertThat(manifest("HEAD", "checkpoint-500/scheduler.pt"))
                .contains("format torch-zip\n")
                .doesNotContain("param ");
        assertThat(git.ok(repo, "git", "theta", "show", "HEAD:checkpoint-500/training_args.bin"))
                .contains("stored whole");

        git.ok(repo, "git", "rm", "-q", "-r", "checkpoint-500");
        git.ok(repo, "git", "checkout", "HEAD", "--", "checkpoint-500");
        for (var e : files.entrySet()) GitRepoFixture.assertSameBytes(run.resolve(e.getKey()), e.getValue());
        assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
    }

    /**
     * Files that claim a format by their structure but are broken: truncated (each format), a torch zip with a bad
     * central directory or a data.pkl that ends early, GGUF with a tensor count or a tensor offset beyond the file.
     * Each: one line naming the file and what is wrong, nothing staged, no temporary file left.
     */
    @Test
    void brokenCheckpointsAreRefusedWithOneLineAndNothingStaged() throws IOException {
        newRepo();
        Path st = tmp.resolve("whole.safetensors");
        Bf16Checkpoints.write(st, Map.of("w", new float[64]), Map.of("w", Shape.of(8, 8)), Map.of());
        byte[] safetensors = Files.readAllBytes(st), zip = reference("torch-zip-mixed.pt");
        byte[] gguf = reference("gguf-mixed.gguf");
        byte[] badDirectory = zip.clone();
        badDirectory[indexOf(zip, new byte[] {'P', 'K', 1, 2}) + 3] = 9; // the first directory record's signature
        byte[] tooManyTensors = gguf.clone();
        ByteBuffer.wrap(tooManyTensors).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1000); // the tensor count
        // the last tensor info: name, n_dims = 2, two dims, type, then its offset in the data section
        byte[] name = "blk.0.ffn_up.weight".getBytes(StandardCharsets.UTF_8);
        byte[] offsetBeyond = gguf.clone();
        ByteBuffer.wrap(offsetBeyond)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(indexOf(gguf, name) + name.length + 4 + 2 * 8 + 4, 1 << 20);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("cut.safetensors", Arrays.copyOf(safetensors, safetensors.length - 40));
        files.put("cut.pt", Arrays.copyOf(zip, zip.length - 40));
        files.put("directory.pt", badDirectory);
        files.put("pickle.pt", withPickleCut(zip));
        files.put("cut.gguf", Arrays.copyOf(gguf, gguf.length - 40));
        files.put("count.gguf", tooManyTensors);
        files.put("offset.gguf", offsetBeyond);
        for (var e : files.entrySet()) {
            Files.write(repo.resolve(e.getKey()), e.getValue());
            Command.Result add = git.run(repo, "git", "add", e.getKey());
            assertThat(add.exit()).as("git add of broken %s", e.getKey()).isNotZero();
            assertThat(ourLines(add.err())).singleElement().asString().startsWith("git-theta: " + e.getKey() + ": ");
            assertThat(git.ok(repo, "git", "ls-files", e.getKey())).isEmpty();
            if (e.getKey().equals("count.gguf")) assertThat(add.err()).contains("of the 1000 the header counts");
        }
        try (var left = Files.list(repo.resolve(".git/theta/tmp"))) {
            assertThat(left).isEmpty();
        }
    }

    private static int indexOf(byte[] in, byte[] what) {
        for (int i = 0; i + what.length <= in.length; i++) {
            if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) return i;
        }
        throw new AssertionError("not found");
    }

    /** The archive written again (stored entries, as Python's zipfile writes them) with its data.pkl cut in half. */
    private byte[] withPickleCut(byte[] torchZip) throws IOException {
        Path whole = Files.write(tmp.resolve("whole.pt"), torchZip);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipFile in = new ZipFile(whole.toFile());
                ZipOutputStream zip = new ZipOutputStream(out)) {
            for (ZipEntry e : Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith("/data.pkl")) data = Arrays.copyOf(data, data.length / 2);
                ZipEntry copy = new ZipEntry(e.getName());
                CRC32 crc = new CRC32();
                crc.update(data);
                copy.setMethod(ZipEntry.STORED);
                copy.setSize(data.length);
                copy.setCrc(crc.getValue());
                zip.putNextEntry(copy);
                zip.write(data);
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void aSafetensorsFileNamedBinIsSplitPerParameter() throws IOException {
        newRepo();
        Path file = repo.resolve("weights.bin");
        Bf16Checkpoints.write(
                file,
                Map.of("a", new float[] {1, 2, 3, 4}, "b", new float[] {5, 6}),
                Map.of("a", Shape.of(2, 2), "b", Shape.of(2)),
                Map.of());
        byte[] content = Files.readAllBytes(file);
        git.ok(repo, "git", "add", "weights.bin");
        git.ok(repo, "git", "commit", "-q", "-m", "weights");
        assertThat(manifest("HEAD", "weights.bin"))
                .contains("format safetensors\n")
                .contains("param a ")
                .contains("param b ");
        assertChecksOut("weights.bin", content);
    }
}
