package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gittheta.cli.MergeRepo.BASE_H;
import static org.gittheta.cli.MergeRepo.BASE_N;
import static org.gittheta.cli.MergeRepo.BASE_W;
import static org.gittheta.cli.MergeRepo.T;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.gittheta.tensor.DType;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** git theta merge of several revisions at once: one merge commit with all of them as parents, with real git. */
class OctopusMergeEndToEndTest {
    private MergeRepo repo;

    @BeforeEach
    void setUp() throws IOException {
        repo = new MergeRepo();
        repo.stageNotes("base\n");
        repo.commitModel("base", BASE_W, BASE_H, BASE_N);
    }

    @AfterEach
    void tearDown() throws IOException {
        repo.close();
    }

    /** main changes norm; a changes w; b changes w and head; c changes only notes.txt. */
    private void branches(double[] aw, double[] bw, double[] bh, double[] mn) throws IOException {
        repo.git("checkout", "-qb", "a");
        repo.commitModel("a", aw, BASE_H, BASE_N);
        repo.git("checkout", "-q", "main");
        repo.git("checkout", "-qb", "b");
        repo.commitModel("b", bw, bh, BASE_N);
        repo.git("checkout", "-q", "main");
        repo.git("checkout", "-qb", "c");
        repo.stageNotes("from c\n");
        repo.git("commit", "-qm", "c");
        repo.git("checkout", "-q", "main");
        repo.commitModel("main", BASE_W, BASE_H, mn);
    }

    private static final double[] AW = {1.0, -1.0, 4.0, 0.25};
    private static final double[] BW = {0.0, -2.0, 2.0, 1.25};
    private static final double[] BH = {2, 4, 6};
    private static final double[] MN = {2, 0.5};

    private static double[] bf16(double[] v) {
        return MergeRepo.values(MergeRepo.bytes(T.of("w", DType.BF16, v)), DType.BF16);
    }

    @Test
    void threeModelsOneCommitWithAllParentsThatChecksOutByteExactly() throws IOException {
        branches(AW, BW, BH, MN);
        String main = repo.rev("main");
        Command.Result r = repo.exec(
                "git", "theta", "merge", "a", "b", "c", "--strategy", "task-arithmetic", "--lambda", "1,0.5,0.25,1");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(repo.git("rev-list", "--parents", "-1", "HEAD").strip().split(" "))
                .containsExactly(repo.rev("HEAD"), main, repo.rev("a"), repo.rev("b"), repo.rev("c"));
        assertThat(repo.git("rev-parse", "--abbrev-ref", "HEAD").strip()).isEqualTo("main");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        double[] w = new double[4];
        for (int i = 0; i < 4; i++) w[i] = BASE_W[i] + 0.5 * (AW[i] - BASE_W[i]) + 0.25 * (BW[i] - BASE_W[i]);
        assertThat(MergeRepo.values(merged.get("w"), DType.BF16)).containsExactly(bf16(w));
        assertThat(merged.get("head")).isEqualTo(MergeRepo.bytes(T.of("head", DType.F32, BH)));
        assertThat(merged.get("norm")).isEqualTo(MergeRepo.bytes(T.of("norm", DType.F16, MN)));
        assertThat(Files.readString(repo.dir.resolve("notes.txt"))).isEqualTo("from c\n");
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        assertThat(r.out())
                .contains("merged    w  (task-arithmetic(lambda=1,0.5,0.25,1))")
                .contains("4 models");

        byte[] content = Files.readAllBytes(repo.model);
        repo.git("checkout", "-q", "a");
        repo.git("checkout", "-q", "main");
        Files.delete(repo.model);
        repo.git("checkout", "--", "model.safetensors");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(content);
        assertThat(repo.git("show", "HEAD:model.safetensors")).startsWith("git-theta manifest");
    }

    /**
     * The octopus merge's check that the work tree is clean does not pipe an unchanged checkpoint through the filter:
     * its index entry gets the file's stat first, vouched for by the stat cache.
     */
    @Test
    void theCleanWorkTreeCheckCleansNoUnchangedCheckpoint() throws IOException {
        branches(AW, BW, BH, MN);
        Files.setLastModifiedTime(repo.model, FileTime.from(Instant.now().minusSeconds(5))); // touched
        Path stats = repo.home.resolve("clean-stats");
        Command.Result r =
                repo.exec(Map.of("GIT_THETA_CLEAN_STATS", stats.toString()), "git", "theta", "merge", "a", "b");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(MergeRepo.cleans(stats))
                .as("git cleaned no checkpoint again")
                .isZero();
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    /** A checkpoint changed with its size and mtime kept is not vouched for: the merge sees the change and refuses. */
    @Test
    void theCleanWorkTreeCheckSeesACheckpointChangedWithItsSizeAndMtimeKept() throws IOException {
        branches(AW, BW, BH, MN);
        FileTime mtime = Files.getLastModifiedTime(repo.model);
        byte[] changed = Files.readAllBytes(repo.model);
        changed[changed.length - 1] ^= 1; // the last byte of the last tensor's values
        Files.write(repo.model, changed);
        Files.setLastModifiedTime(repo.model, mtime);
        Command.Result dirty = repo.exec("git", "theta", "merge", "a", "b");
        assertThat(dirty.exit()).isNotZero();
        assertThat(dirty.out()).contains("the working tree or index has changes");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(changed);
    }

    @Test
    void scopeAllSoupsEveryModel() throws IOException {
        branches(AW, BW, BH, MN);
        Command.Result r = repo.exec("git", "theta", "merge", "a", "b", "--strategy", "average", "--scope", "all");
        assertThat(r.exit()).as(r.out()).isZero();
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        double[] w = new double[4];
        for (int i = 0; i < 4; i++) w[i] = (BASE_W[i] + AW[i] + BW[i]) / 3;
        assertThat(MergeRepo.values(merged.get("w"), DType.BF16)).containsExactly(bf16(w));
        double[] h = new double[3];
        for (int i = 0; i < 3; i++) h[i] = (BASE_H[i] + BASE_H[i] + BH[i]) / 3;
        assertThat(MergeRepo.values(merged.get("head"), DType.F32))
                .containsExactly(MergeRepo.values(MergeRepo.bytes(T.of("head", DType.F32, h)), DType.F32));
        assertThat(r.out()).contains("3 through the formula");
        assertThat(repo.git("rev-list", "--parents", "-1", "HEAD").strip().split(" "))
                .hasSize(4);
    }

    private static double field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\" : (-?[0-9.Ee+-]+)")
                .matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void dryRunReportsFiguresAndChangesNothing() throws IOException {
        branches(AW, BW, BH, MN);
        String before = repo.snapshot(repo.model);
        Command.Result json =
                repo.exec("git", "theta", "merge", "a", "b", "--strategy", "task-arithmetic", "--dry-run", "--json");
        assertThat(json.exit()).as(json.out()).isZero();
        String w = json.out().substring(json.out().indexOf("\"name\" : \"w\""));
        // τ_a = [0.5, 0, 2, 0], τ_b = [-0.5, -1, 0, 1]; result base + τ_a + τ_b = [0.5, -2, 4, 1.25]
        double na = Math.sqrt(0.25 + 4);
        double nb = Math.sqrt(0.25 + 1 + 1);
        assertThat(w).contains("\"path\" : \"formula\"");
        assertThat(field(w, "cosine")).isCloseTo(-0.25 / (na * nb), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(field(w, "signConflicts")).isEqualTo(0.25);
        assertThat(field(w, "resultNorm"))
                .isCloseTo(Math.sqrt(0.25 + 4 + 16 + 1.5625), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(field(w, "resultTauNorm")).isCloseTo(Math.sqrt(6), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(w.replaceAll("\\s", "")).contains("\"tauNorms\":[" + na + "," + nb + "]");
        assertThat(json.out()).contains("\"name\" : \"head\"").contains("\"path\" : \"theirs\"");

        Command.Result text = repo.exec("git", "theta", "merge", "b", "--dry-run");
        assertThat(text.exit()).as(text.out()).isZero();
        assertThat(text.out()).contains("theirs    head").contains("ours      norm");
        // head, which neither main nor a changed, is left out of the JSON as of the text
        Command.Result one = repo.exec("git", "theta", "merge", "a", "--dry-run", "--json");
        assertThat(one.exit()).as(one.out()).isZero();
        assertThat(one.out()).contains("\"name\" : \"w\"").doesNotContain("\"name\" : \"head\"");
        assertThat(repo.snapshot(repo.model)).isEqualTo(before);
    }

    @Test
    void refusalsChangeNothing() throws IOException {
        branches(AW, BW, BH, MN);
        repo.stageNotes("from main\n");
        repo.git("commit", "-qm", "main notes");
        String before = repo.rev("HEAD");
        Command.Result text = repo.exec("git", "theta", "merge", "a", "c");
        assertThat(text.exit()).isNotZero();
        assertThat(text.out())
                .contains("notes.txt was changed differently on HEAD, c and is not a git-theta checkpoint")
                .contains("merge those branches one at a time");
        // one revision is no branches to take one at a time: git merge records that conflict
        Command.Result one = repo.exec("git", "theta", "merge", "c", "--dry-run");
        assertThat(one.exit()).isEqualTo(1);
        assertThat(one.out())
                .contains("notes.txt was changed differently on HEAD, c")
                .contains("'git merge c' records it as a conflict to resolve")
                .doesNotContain("one at a time");

        Command.Result slerp = repo.exec("git", "theta", "merge", "a", "b", "--strategy", "slerp");
        assertThat(slerp.exit()).isNotZero();
        assertThat(slerp.out()).contains("slerp merges two models, not 3");

        repo.git("tag", "b-again", "b");
        Command.Result twice = repo.exec("git", "theta", "merge", "a", "b", "b-again");
        assertThat(twice.exit()).isNotZero();
        assertThat(twice.out())
                .isEqualTo("git-theta: git theta merge: b-again is the same commit as b; name each" + " model once\n");

        repo.git("checkout", "-q", "--orphan", "lone");
        repo.git("commit", "-qm", "lone");
        repo.git("checkout", "-q", "main");
        Command.Result unrelated = repo.exec("git", "theta", "merge", "a", "lone");
        assertThat(unrelated.exit()).isNotZero();
        assertThat(unrelated.out())
                .isEqualTo("git-theta: git theta merge: refusing to merge unrelated histories: the revisions have no"
                        + " common ancestor (name a base: --base <rev>, or base_model in a --config)\n");

        Command.Result nan = repo.exec("git", "theta", "merge", "a", "b", "--lambda", "1,Infinity,1");
        assertThat(nan.exit()).isNotZero();
        assertThat(nan.out()).contains("lambda=1,Infinity,1 is not a finite number");

        // options that do not fit the merge: one line naming the checkpoint, parameter and strategy, no stack trace
        Command.Result lambdas =
                repo.exec("git", "theta", "merge", "a", "b", "--strategy", "task-arithmetic", "--lambda", "1,2");
        assertThat(lambdas.exit()).isNotZero();
        assertThat(lambdas.out())
                .isEqualTo("git-theta: model.safetensors: w: task-arithmetic(lambda=1,2): 1,2 gives 2 values for 3"
                        + " models\n");
        Command.Result weights = repo.exec("git", "theta", "merge", "a", "b", "--weight", "0", "--dry-run");
        assertThat(weights.exit()).isNotZero();
        assertThat(weights.out())
                .isEqualTo("git-theta: model.safetensors: w: average(weight=0): the weights of the models taking part"
                        + " sum to 0\n");

        repo.git("checkout", "-qb", "d", "a");
        repo.commitModel("d", BASE_W, BASE_H, new double[] {1, 1, 1});
        repo.git("checkout", "-q", "main");
        Command.Result shape = repo.exec("git", "theta", "merge", "d", "b");
        assertThat(shape.exit()).isNotZero();
        assertThat(shape.out())
                .contains("CONFLICT (parameters) in model.safetensors: norm")
                .contains("nothing was changed");

        assertThat(repo.rev("HEAD")).isEqualTo(before);
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        try (Stream<Path> s = Files.list(repo.dir.resolve(".git"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("theta-merge-index"));
        }
    }

    /** As git merge: a merge left unconcluded, its conflict resolved as ours, is not buried under an octopus merge. */
    @Test
    void refusedWhileAMergeIsUnconcluded() throws IOException {
        branches(AW, BW, BH, MN);
        repo.git("checkout", "-q", "a");
        Command.Result conflict = repo.exec("git", "theta", "merge", "b", "--strategy", "fail");
        assertThat(conflict.exit()).as(conflict.out()).isNotZero();
        repo.git("checkout", "--ours", "--", "model.safetensors");
        repo.git("add", "model.safetensors");
        String before = repo.rev("HEAD");

        Command.Result r = repo.exec("git", "theta", "merge", "b", "c");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out())
                .contains("git theta merge: you have not concluded your merge (MERGE_HEAD exists);"
                        + " commit it or run 'git merge --abort' first");
        assertThat(repo.rev("HEAD")).isEqualTo(before);
        assertThat(repo.dir.resolve(".git/MERGE_HEAD")).exists();
    }
}
