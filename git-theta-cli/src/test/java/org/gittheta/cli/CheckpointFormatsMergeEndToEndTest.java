package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.cli.MergeRepo.T;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.GgufFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fine-tunes of a {@code pytorch_model.bin} (torch zip) and of a GGUF file merged and compared through real git: two
 * branches change different and overlapping tensors; the merged file is read back with our readers and compared with
 * values computed here; a torch zip stays a valid zip. Quantized GGUF tensors changed on both sides merge only by a
 * choice (ours, theirs, base); any arithmetic strategy is a conflict naming the parameter and its type.
 */
class CheckpointFormatsMergeEndToEndTest {
    private static final double[] BASE_A = {0.5, -1, 2, 0.25};
    private static final double[] BASE_B = {1, 2, 3, 4};
    private static final double[] BASE_C = {1, 1, 1};
    private static final double[] BASE_D = {0.5, 0.5};

    private MergeRepo repo;

    @BeforeEach
    void setUp() throws IOException {
        repo = new MergeRepo();
        repo.git("theta", "track", "*.bin", "*.gguf");
        repo.git("add", ".gitattributes");
        repo.git("commit", "-qm", "track .bin and .gguf");
    }

    @AfterEach
    void tearDown() throws IOException {
        repo.close();
    }

    /** a: F32 [4], b: BF16 [4], c: F32 [3], d: F16 [2], as torch.save writes a state dict. */
    private void commitBin(String message, double[] a, double[] b, double[] c) throws IOException {
        MergeRepo.write(
                repo.dir.resolve("pytorch_model.bin"),
                List.of(
                        T.of("a", DType.F32, a),
                        T.of("b", DType.BF16, b),
                        T.of("c", DType.F32, c),
                        T.of("d", DType.F16, BASE_D)));
        repo.git("add", "pytorch_model.bin");
        repo.git("commit", "-qm", message);
    }

    @Test
    void aPytorchBinMergedByGitAndByGitThetaIsAValidZipWithTheExpectedValues() throws IOException {
        Path file = repo.dir.resolve("pytorch_model.bin");
        commitBin("base", BASE_A, BASE_B, BASE_C);
        double[] xa = {1, -1, 2, 0.25}, xb = {2, 2, 5, 0};
        double[] mb = {1, 3, 3, 8}, mc = {1.5, 1, -1};
        repo.git("checkout", "-qb", "x");
        commitBin("x: a and b", xa, xb, BASE_C);
        repo.git("checkout", "-q", "main");
        commitBin("main: b and c", BASE_A, mb, mc);
        String main = repo.git("rev-parse", "HEAD").strip();

        String report = repo.git("merge", "--no-edit", "x");
        assertThat(report).contains("theirs    a").contains("merged    b").contains("ours      c");
        double[] average = new double[4];
        for (int i = 0; i < 4; i++) average[i] = (mb[i] + xb[i]) / 2;
        assertMerged(file, xa, average, mc);

        String diff = repo.git("theta", "diff", main, "HEAD");
        assertThat(diff).contains("modified  a", "modified  b", "2 of 4 parameters changed");
        assertThat(repo.git("theta", "log", "-n", "1", "pytorch_model.bin")).contains("b");
        assertThat(repo.git("theta", "show", "HEAD:pytorch_model.bin"))
                .contains("torch-zip")
                .contains("BF16");

        repo.git("reset", "-q", "--hard", main);
        Command.Result r = repo.exec(
                "git", "theta", "merge", "--strategy", "task-arithmetic", "--lambda", "1,1", "--no-edit", "x");
        assertThat(r.exit()).as(r.out()).isZero();
        double[] sum = new double[4];
        for (int i = 0; i < 4; i++) sum[i] = BASE_B[i] + (mb[i] - BASE_B[i]) + (xb[i] - BASE_B[i]);
        assertMerged(file, xa, sum, mc);
    }

    private void assertMerged(Path file, double[] a, double[] b, double[] c) throws IOException {
        Map<String, byte[]> merged = MergeRepo.tensors(file);
        assertThat(MergeRepo.values(merged.get("a"), DType.F32)).containsExactly(a);
        assertThat(MergeRepo.values(merged.get("b"), DType.BF16)).containsExactly(b);
        assertThat(MergeRepo.values(merged.get("c"), DType.F32)).containsExactly(c);
        assertThat(MergeRepo.values(merged.get("d"), DType.F16)).containsExactly(BASE_D);
        assertThat(repo.exec("unzip", "-tq", file.toString()).exit())
                .as("unzip -t of the merged file")
                .isZero();
        assertThat(repo.git("status", "--porcelain"))
                .as("the merged file cleans to the committed one")
                .isEmpty();
        Files.delete(file);
        repo.git("checkout", "--", "pytorch_model.bin");
        assertThat(MergeRepo.tensors(file)).containsOnlyKeys(merged.keySet());
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    /** The reference GGUF (written by the gguf library) with some elements or quantized bytes changed. */
    private static final class Gguf {
        final byte[] bytes = GgufEndToEndTest.reference("gguf-mixed.gguf");
        final CheckpointLayout layout = GgufFormat.INSTANCE.read("m.gguf", MemorySegment.ofArray(bytes));

        Gguf() throws IOException {}

        Gguf set(String tensor, DType dtype, int element, double value) {
            view(tensor, dtype).set(element, value);
            return this;
        }

        double get(String tensor, DType dtype, int element) {
            return view(tensor, dtype).get(element);
        }

        /** Changes a quant of the first block (not its scale), so the file stays a valid Q8_0 tensor. */
        Gguf quant(String tensor, int delta) {
            bytes[(int) slot(tensor).offset() + 5] += (byte) delta;
            return this;
        }

        TensorSlot slot(String tensor) {
            return layout.tensor(tensor).orElseThrow();
        }

        private TensorView view(String tensor, DType dtype) {
            TensorSlot s = slot(tensor);
            return new TensorView(MemorySegment.ofArray(bytes).asSlice(s.offset(), s.length()), dtype);
        }
    }

    private static final String EMBED = "token_embd.weight", NORM = "blk.0.attn_norm.weight";
    private static final String Q8 = "blk.0.attn_q.weight";

    private void commitGguf(String message, Gguf g) throws IOException {
        Files.write(repo.dir.resolve("m.gguf"), g.bytes);
        repo.git("add", "m.gguf");
        repo.git("commit", "-qm", message);
    }

    @Test
    void aGgufFineTuneMergesFloatsByTheStrategyAndQuantizedTensorsOnlyByAChoice() throws IOException {
        Path file = repo.dir.resolve("m.gguf");
        Gguf base = new Gguf();
        commitGguf("base", base);
        repo.git("checkout", "-qb", "x");
        Gguf x = new Gguf().set(EMBED, DType.F32, 0, 2.0).quant(Q8, 3);
        commitGguf("x: embedding and a Q8_0 block", x);
        repo.git("checkout", "-q", "main");
        Gguf m = new Gguf().set(EMBED, DType.F32, 0, 1.0).set(NORM, DType.F16, 1, 0.75);
        commitGguf("main: embedding and the norm", m);
        String main = repo.git("rev-parse", "HEAD").strip();

        repo.git("merge", "--no-edit", "x");
        Gguf expected = new Gguf()
                .set(EMBED, DType.F32, 0, 1.5)
                .set(NORM, DType.F16, 1, 0.75)
                .quant(Q8, 3);
        assertThat(Files.readAllBytes(file)).isEqualTo(expected.bytes);
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        String diff = repo.git("theta", "diff", main, "HEAD");
        assertThat(diff).contains(EMBED, Q8, "Q8_0").doesNotContain(NORM);
        assertThat(repo.git("theta", "diff", "HEAD~2", "HEAD")).contains("F16", "Q8_0", "F32");
        assertThat(repo.git("theta", "show", "HEAD:m.gguf")).contains("Q4_0", "Q8_0", "F16");

        // the Q8_0 tensor changed on both sides: average cannot compute it
        repo.git("checkout", "-qb", "y");
        commitGguf(
                "y: the Q8_0 block again",
                new Gguf()
                        .set(EMBED, DType.F32, 0, 1.5)
                        .set(NORM, DType.F16, 1, 0.75)
                        .quant(Q8, 7));
        repo.git("checkout", "-q", "main");
        Gguf ours = new Gguf()
                .set(EMBED, DType.F32, 0, 1.5)
                .set(NORM, DType.F16, 1, 0.75)
                .quant(Q8, -2);
        commitGguf("main: the Q8_0 block", ours);
        Command.Result conflict = repo.gitMayFail("merge", "--no-edit", "y");
        assertThat(conflict.exit()).isNotZero();
        assertThat(conflict.out())
                .contains("CONFLICT (parameters) in m.gguf: " + Q8)
                .contains("Q8_0 changed on");
        assertThat(repo.git("status", "--porcelain")).isEqualTo("UU m.gguf\n");
        assertThat(Files.readAllBytes(file)).as("the tree stays ours").isEqualTo(ours.bytes);
        repo.git("merge", "--abort");

        Command.Result viaTheta = repo.exec("git", "theta", "merge", "--strategy", "ties", "--no-edit", "y");
        assertThat(viaTheta.exit()).isNotZero();
        assertThat(viaTheta.out()).contains(Q8).contains("Q8_0");
        assertThat(Files.readAllBytes(file)).isEqualTo(ours.bytes);
        repo.gitMayFail("merge", "--abort");
        assertThat(repo.git("status", "--porcelain")).isEmpty();

        for (String choice : List.of("ours", "theirs", "base")) {
            repo.git("-c", "theta.merge.strategy=" + choice, "merge", "--no-edit", "y");
            Gguf want = choice.equals("ours")
                    ? ours
                    : new Gguf()
                            .set(EMBED, DType.F32, 0, 1.5)
                            .set(NORM, DType.F16, 1, 0.75)
                            .quant(Q8, choice.equals("theirs") ? 7 : 3);
            assertThat(Files.readAllBytes(file)).as(choice).isEqualTo(want.bytes);
            repo.git("reset", "-q", "--hard", "HEAD~1");
        }
        assertThat(x.get(EMBED, DType.F32, 0)).isEqualTo(2.0);
        assertThat(base.get(NORM, DType.F16, 1)).isNotEqualTo(0.75);
    }
}
