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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** git merge, git theta merge and git rebase of checkpoints through the merge driver, with real git. */
class MergeEndToEndTest {
    private static final Map<String, String> SKIP_SMUDGE = Map.of("GIT_THETA_SKIP_SMUDGE", "1");

    private MergeRepo repo;

    @BeforeEach
    void setUp() throws IOException {
        repo = new MergeRepo();
        repo.commitModel("base", BASE_W, BASE_H, BASE_N);
    }

    @AfterEach
    void tearDown() throws IOException {
        repo.close();
    }

    /** Branch x from the current commit with one commit, then main gets one commit. */
    private void diverge(double[] xw, double[] xh, double[] xn, double[] mw, double[] mh, double[] mn)
            throws IOException {
        repo.git("checkout", "-qb", "x");
        repo.commitModel("x", xw, xh, xn);
        repo.git("checkout", "-q", "main");
        repo.commitModel("main", mw, mh, mn);
    }

    @Test
    void disjointChangesMergeBitExactWithoutArithmetic() throws IOException {
        double[] xw = {0.5078125, -1.0, 2.0, 0.25};
        double[] mh = {1.1, 2.2, 3.3};
        diverge(xw, BASE_H, BASE_N, BASE_W, mh, BASE_N);
        Map<String, byte[]> theirs = MergeRepo.tensors(checkoutCopy("x"));
        Map<String, byte[]> ours = MergeRepo.tensors(repo.model);
        String report = repo.git("merge", "--no-edit", "x");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        assertThat(merged.get("w")).isEqualTo(theirs.get("w"));
        assertThat(merged.get("head")).isEqualTo(ours.get("head"));
        assertThat(merged.get("norm")).isEqualTo(ours.get("norm"));
        assertThat(report).contains("theirs    w").contains("ours      head").contains("0 merged");
        // the committed manifest reuses each side's stored objects: no new object was written
        assertThat(line(repo.git("show", "HEAD:model.safetensors"), "w"))
                .isEqualTo(line(repo.git("show", "x:model.safetensors"), "w"));
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    @Test
    void overlappingChangesGetTheConfiguredStrategyAndRulesKeepAHead() throws IOException {
        double[] xw = {1.0, -1.0, 2.0, 0.5};
        double[] mw = {0.5, 0.0, 1.0, 0.25};
        double[] xh = {4, 5, 6};
        double[] mh = {7, 8, 9};
        diverge(xw, xh, BASE_N, mw, mh, BASE_N);
        repo.git("config", "theta.merge.strategy", "task-arithmetic");
        repo.git("config", "theta.merge.lambda", "0.5,1");
        repo.git("config", "--add", "theta.merge.rule", "he* theirs");
        String report = repo.git("merge", "--no-edit", "x");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        double[] expected = new double[4];
        for (int i = 0; i < 4; i++) expected[i] = BASE_W[i] + 0.5 * (mw[i] - BASE_W[i]) + 1.0 * (xw[i] - BASE_W[i]);
        assertThat(MergeRepo.values(merged.get("w"), DType.BF16)).containsExactly(expected);
        assertThat(merged.get("head")).isEqualTo(MergeRepo.bytes(T.of("head", DType.F32, xh)));
        assertThat(report)
                .contains("merged    w  (task-arithmetic(lambda=0.5,1))")
                .contains("chosen    head  (theirs)");
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    @Test
    void gitThetaMergeAppliesStrategyForOneMergeOnly() throws IOException {
        double[] xw = {1.0, -1.0, 4.0, 0.25};
        double[] mw = {0.5, 1.0, -2.0, 0.25};
        diverge(xw, BASE_H, BASE_N, mw, BASE_H, BASE_N);
        Path fo = repo.home.resolve("fisher-ours.safetensors");
        Path ft = repo.home.resolve("fisher-theirs.safetensors");
        MergeRepo.write(fo, List.of(T.of("w", DType.F32, 1, 0, 3, 1)));
        MergeRepo.write(ft, List.of(T.of("w", DType.F32, 3, 0, 1, 0)));
        Command.Result r = mergeFisher(fo, ft);
        assertThat(r.exit()).as(r.out()).isZero();
        // (F_o θ_o + F_t θ_t) / (F_o + F_t), Fisher raised to 1e-6: [(0.5+3)/4, (1−1)/2, (−6+4)/4, 0.25]
        double[] expected = {
            (1 * 0.5 + 3 * 1.0) / 4, (1.0 - 1.0) / 2, (3 * -2.0 + 1 * 4.0) / 4, (0.25 + 1e-6 * 0.25) / (1 + 1e-6)
        };
        double[] got = MergeRepo.values(MergeRepo.tensors(repo.model).get("w"), DType.BF16);
        assertThat(got).containsExactly(MergeRepo.values(MergeRepo.bytes(T.of("w", DType.BF16, expected)), DType.BF16));
        assertThat(r.out()).contains("fisher(lambda=1, floor=1.0E-6)");
        assertThat(repo.gitMayFail("config", "theta.merge.strategy").exit())
                .as("nothing was configured")
                .isNotZero();
    }

    @Test
    void gitThetaMergeSquashStagesTheMergedCheckpointWithoutAMergeCommit() throws IOException {
        double[] xw = {1.0, -1.0, 4.0, 0.25};
        double[] mw = {0.5, 1.0, -2.0, 0.25};
        diverge(xw, BASE_H, BASE_N, mw, BASE_H, BASE_N);
        String head = repo.rev("HEAD");
        Command.Result r = repo.exec("git", "theta", "merge", "--squash", "--strategy", "average", "x");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(repo.rev("HEAD")).isEqualTo(head);
        assertThat(repo.dir.resolve(".git/MERGE_HEAD")).doesNotExist();
        assertThat(repo.git("status", "--porcelain")).isEqualTo("M  model.safetensors\n");
        double[] expected = new double[4];
        for (int i = 0; i < 4; i++) expected[i] = (xw[i] + mw[i]) / 2;
        assertThat(MergeRepo.values(MergeRepo.tensors(repo.model).get("w"), DType.BF16))
                .containsExactly(expected);
        repo.git("commit", "-qm", "squashed");
        assertThat(repo.git("log", "-1", "--format=%P").strip()).isEqualTo(head);

        Command.Result octopus = repo.exec("git", "theta", "merge", "--squash", "x", "main~1");
        assertThat(octopus.exit()).isNotZero();
        assertThat(octopus.out()).contains("git theta merge: --squash: for two-way merges");
    }

    /** Branches that both changed w alone, so that a merge of them runs the driver on w. */
    private void divergeOnW() throws IOException {
        diverge(
                new double[] {1.0, -1.0, 4.0, 0.25},
                BASE_H,
                BASE_N,
                new double[] {0.5, 1.0, -2.0, 0.25},
                BASE_H,
                BASE_N);
    }

    /** A bad setting is refused before git merge starts: the driver would find it with the merge half done. */
    @Test
    void aMisspelledStrategyOrABadValueIsRefusedBeforeTheMergeStarts() throws IOException {
        divergeOnW();
        String head = repo.rev("HEAD");
        Map<List<String>, String> refused = Map.of(
                List.of("--strategy", "avergae"),
                "git-theta: git theta merge: unknown merge strategy 'avergae'",
                List.of("--strategy", "ties", "--density", "7"),
                "git-theta: git theta merge: ties: density 7.0",
                List.of("--strategy", "fisher", "--fisher-ours", "f.safetensors", "--fisher-theirs", "f.safetensors"),
                "git-theta: git theta merge: --fisher-ours f.safetensors: no such file",
                List.of("--json"),
                "git-theta: git theta merge: --json is for --dry-run",
                List.of("--strategy", "task-arithmetic", "--lambda", "1,0.5,0.5"),
                "git-theta: git theta merge: --lambda 1,0.5,0.5 gives 3 values for the 2 models of a two-way merge");
        for (var e : refused.entrySet()) {
            List<String> cmd = new ArrayList<>(List.of("git", "theta", "merge", "--no-edit"));
            cmd.addAll(e.getKey());
            cmd.add("x");
            Command.Result r = repo.exec(cmd.toArray(String[]::new));
            assertThat(r.exit()).isNotZero();
            assertThat(r.out()).startsWith(e.getValue()).doesNotContain("CONFLICT");
            assertThat(repo.dir.resolve(".git/MERGE_HEAD")).doesNotExist();
            assertThat(repo.git("status", "--porcelain")).isEmpty();
            assertThat(repo.rev("HEAD")).isEqualTo(head);
        }
    }

    @Test
    void scopeAllAppliesLambdaToParametersChangedOnOneSideToo() throws IOException {
        double[] xw = {1.0, -1.0, 4.0, 0.25};
        double[] mh = {2, 4, 6};
        diverge(xw, BASE_H, BASE_N, BASE_W, mh, BASE_N);
        Command.Result r = repo.exec(
                "git",
                "theta",
                "merge",
                "--strategy",
                "task-arithmetic",
                "--lambda",
                "0.5",
                "--scope",
                "all",
                "--no-edit",
                "x");
        assertThat(r.exit()).as(r.out()).isZero();
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        double[] w = new double[4];
        for (int i = 0; i < 4; i++) w[i] = BASE_W[i] + 0.5 * (xw[i] - BASE_W[i]);
        double[] h = new double[3];
        for (int i = 0; i < 3; i++) h[i] = BASE_H[i] + 0.5 * (mh[i] - BASE_H[i]);
        assertThat(MergeRepo.values(merged.get("w"), DType.BF16)).containsExactly(w);
        assertThat(MergeRepo.values(merged.get("head"), DType.F32)).containsExactly(h);
        assertThat(r.out()).contains("scope all").contains("2 through the formula, 0 taken from one side");
    }

    @Test
    void nonFiniteLambdaAndFisherAreRefusedAndTheTreeStaysOurs() throws IOException {
        double[] xw = {1.0, -1.0, 4.0, 0.25};
        double[] mw = {0.5, 1.0, -2.0, 0.25};
        diverge(xw, BASE_H, BASE_N, mw, BASE_H, BASE_N);
        byte[] ours = Files.readAllBytes(repo.model);
        Command.Result lambda = repo.exec(
                "git", "theta", "merge", "--strategy", "task-arithmetic", "--lambda", "NaN", "--no-edit", "x");
        assertThat(lambda.exit()).isNotZero();
        assertThat(lambda.out()).contains("lambda=NaN is not a finite number");
        assertThat(repo.dir.resolve(".git/MERGE_HEAD"))
                .as("refused before git merge started")
                .doesNotExist();
        Path fo = repo.home.resolve("fisher-ours.safetensors");
        MergeRepo.write(fo, List.of(T.of("w", DType.F32, 1, Double.POSITIVE_INFINITY, 3, 1)));
        Command.Result fisher = mergeFisher(fo, fo);
        assertThat(fisher.exit()).isNotZero();
        assertThat(fisher.out())
                .contains("fisher-ours.safetensors")
                .contains("w")
                .contains("is not finite");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(ours);
        assertThat(repo.git("status", "--porcelain")).isEqualTo("UU model.safetensors\n");
    }

    @Test
    void tiesThroughGitThetaMerge() throws IOException {
        // τ_ours = [0, 1, −2, 0.25], τ_theirs = [0.5, −1.5, 1, 0]; density 0.5 keeps ours {1, −2}, theirs {−1.5, 1}
        double[] mw = {0.5, 0.0, 0.0, 0.5};
        double[] xw = {1.0, -2.5, 3.0, 0.25};
        diverge(xw, BASE_H, BASE_N, mw, BASE_H, BASE_N);
        Command.Result r =
                repo.exec("git", "theta", "merge", "--strategy", "ties", "--density", "0.5", "--no-edit", "x");
        assertThat(r.exit()).as(r.out()).isZero();
        // element 0: nothing kept → base 0.5; element 1: 1 − 1.5 < 0 elects −, theirs −1.5 → −2.5;
        // element 2: −2 + 1 < 0 elects −, ours −2 → 0; element 3: nothing kept → 0.25
        assertThat(MergeRepo.values(MergeRepo.tensors(repo.model).get("w"), DType.BF16))
                .containsExactly(0.5, -2.5, 0.0, 0.25);
    }

    /**
     * A merge git stops for a local change of the checkpoint: git puts the change back from its stash, with smudge
     * skipped as the manifest of the changed file, and git theta merge writes that checkpoint, not the index's.
     */
    @Test
    void gitThetaMergeStoppedByALocalChangeKeepsIt() throws IOException {
        diverge(new double[] {1.0, -2.5, 3.0, 0.25}, BASE_H, BASE_N, new double[] {0.5, 0, 0, 0.5}, BASE_H, BASE_N);
        MergeRepo.write(repo.model, List.of(T.of("w", DType.BF16, 7, 7, 7, 7), T.of("other", DType.F32, 1)));
        byte[] edited = Files.readAllBytes(repo.model);
        Command.Result r = repo.exec("git", "theta", "merge", "--strategy", "ties", "--no-edit", "x");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("local changes");
        assertThat(Files.readAllBytes(repo.model))
                .as("the uncommitted checkpoint")
                .isEqualTo(edited);
        assertThat(repo.git("status", "--porcelain")).isEqualTo(" M model.safetensors\n");
        assertThat(repo.git("log", "-1", "--format=%s")).isEqualTo("main\n");
    }

    /** With merge.autoStash, git puts an uncommitted checkpoint back after the merge: the same, and silently. */
    @Test
    void gitThetaMergeWithAutoStashKeepsAnUncommittedCheckpoint() throws IOException {
        repo.git("checkout", "-qb", "x");
        repo.stageNotes("from x\n");
        repo.git("commit", "-qm", "x");
        repo.git("checkout", "-q", "main");
        repo.git("config", "merge.autoStash", "true");
        MergeRepo.write(repo.model, List.of(T.of("w", DType.BF16, 7, 7, 7, 7)));
        byte[] edited = Files.readAllBytes(repo.model);
        Command.Result r = repo.exec("git", "theta", "merge", "--no-edit", "x");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(Files.readAllBytes(repo.model))
                .as("the uncommitted checkpoint")
                .isEqualTo(edited);
        assertThat(repo.git("status", "--porcelain")).isEqualTo(" M model.safetensors\n");
        assertThat(Files.readString(repo.dir.resolve("notes.txt"))).isEqualTo("from x\n");
    }

    /**
     * A checkpoint git would compare again before it merges (touched since it was checked out, or checked out in the
     * second the index was written) is not piped through the filter: git theta merge first puts into its index entry
     * the file's stat, which the stat cache vouches for.
     */
    @Test
    void gitThetaMergeHasGitCleanNoUnchangedCheckpointAgain() throws IOException {
        diverge(new double[] {1.0, -2.5, 3.0, 0.25}, BASE_H, BASE_N, new double[] {0.5, 0, 0, 0.5}, BASE_H, BASE_N);
        Files.setLastModifiedTime(repo.model, FileTime.from(Instant.now().minusSeconds(5))); // touched
        Path stats = repo.home.resolve("clean-stats");
        Command.Result r = repo.exec(
                Map.of("GIT_THETA_CLEAN_STATS", stats.toString()),
                "git",
                "theta",
                "merge",
                "--strategy",
                "ties",
                "--no-edit",
                "x");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(MergeRepo.cleans(stats))
                .as("git cleaned no checkpoint again")
                .isZero();
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(Files.readAllBytes(checkoutCopy("HEAD")));
    }

    /**
     * git theta merge runs git with smudge skipped and writes the merged checkpoint itself (git's post-merge hook
     * sees the manifest), around the values the merge driver wrote as it computed them: the file is what git's
     * checkout of the merge commit writes, its index entry is fresh, a checkpoint the user left as a manifest stays
     * one, and with GIT_THETA_SKIP_SMUDGE=1 the merged checkpoint is left as a manifest too.
     */
    @Test
    void gitThetaMergeWritesTheMergedCheckpointItself() throws IOException {
        Path other = repo.dir.resolve("other.safetensors");
        MergeRepo.write(other, List.of(T.of("v", DType.F32, 1, 2)));
        repo.git("add", "other.safetensors");
        repo.git("commit", "-qm", "other");
        diverge(new double[] {1.0, -2.5, 3.0, 0.25}, BASE_H, BASE_N, new double[] {0.5, 0, 0, 0.5}, BASE_H, BASE_N);
        repo.git("tag", "main-before");
        Files.delete(other);
        // as a clone with smudge skipped leaves it
        repo.exec(SKIP_SMUDGE, "git", "checkout", "--", "other.safetensors").assertOk();
        String otherManifest = Files.readString(other);
        assertThat(otherManifest).isEqualTo(repo.git("show", "HEAD:other.safetensors"));

        // what git itself left in the work tree, seen by its post-merge hook before git theta writes the checkpoint
        Path hook = repo.dir.resolve(
                repo.git("rev-parse", "--git-path", "hooks/post-merge").strip());
        Path seen = repo.home.resolve("seen-by-hook");
        Files.writeString(hook, "#!/bin/sh\nhead -c 19 model.safetensors > '" + seen + "'\n");
        assertThat(hook.toFile().setExecutable(true)).isTrue();
        Command.Result r = repo.exec("git", "theta", "merge", "--strategy", "ties", "--no-edit", "x");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(Files.readString(seen)).isEqualTo("git-theta manifest ");
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(Files.readAllBytes(checkoutCopy("HEAD")));
        assertThat(Files.readString(other)).isEqualTo(otherManifest);
        try (var tmp = Files.list(repo.dir.resolve(".git/theta/tmp"))) {
            assertThat(tmp.map(f -> f.getFileName().toString()))
                    .as("what the merge wrote for its checkout is removed")
                    .noneMatch(f -> f.startsWith("merged-"));
        }

        repo.git("reset", "-q", "--hard", "main-before");
        Command.Result skipped =
                repo.exec(SKIP_SMUDGE, "git", "theta", "merge", "--strategy", "ties", "--no-edit", "x");
        assertThat(skipped.exit()).as(skipped.out()).isZero();
        assertThat(Files.readString(repo.model)).isEqualTo(repo.git("show", "HEAD:model.safetensors"));
    }

    @Test
    void shapeConflictLeavesGitConflictStateAndAbortRestores() throws IOException {
        repo.git("checkout", "-qb", "x");
        MergeRepo.write(
                repo.model,
                List.of(
                        new T("w", DType.BF16, Shape.of(2, 2), BASE_W),
                        T.of("head", DType.F32, BASE_H),
                        T.of("norm", DType.F16, BASE_N)));
        repo.git("commit", "-qam", "reshape w");
        repo.git("checkout", "-q", "main");
        repo.commitModel("main", new double[] {1, 1, 1, 1}, BASE_H, BASE_N);
        byte[] before = Files.readAllBytes(repo.model);
        Command.Result r = repo.gitMayFail("merge", "--no-edit", "x");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out())
                .contains("CONFLICT (parameters) in model.safetensors: w")
                .contains("BF16[4], theirs BF16[2,2]");
        assertThat(repo.git("status", "--porcelain")).isEqualTo("UU model.safetensors\n");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(before);
        // the index has no version of an unmerged path (git show :path refuses), not the conflict's base
        Command.Result staged = repo.exec("git", "theta", "show", ":model.safetensors");
        assertThat(staged.exit()).as(staged.out()).isNotZero();
        assertThat(staged.out()).contains("'model.safetensors' is unmerged");
        // the conflict's sides, as git numbers them
        assertThat(repo.git("theta", "show", ":1:model.safetensors")).contains("[4]");
        assertThat(repo.git("theta", "show", ":2:model.safetensors")).contains("[4]");
        assertThat(repo.git("theta", "show", ":3:model.safetensors")).contains("[2,2]");
        // compared with the index, it is listed as git lists it, not as added
        assertThat(repo.git("theta", "diff")).isEqualTo("* Unmerged path model.safetensors\n");
        assertThat(repo.git("theta", "diff", "--stat"))
                .isEqualTo(" model.safetensors | unmerged\n 0 checkpoints changed\n");
        // git theta status lists it as git status does, by ours
        assertThat(repo.git("theta", "status")).containsPattern("(?m)^unmerged +unmodified +model\\.safetensors ");
        // the work tree holds ours: nothing against ours, the reshape against theirs
        assertThat(repo.git("theta", "diff", "--ours")).isEmpty();
        assertThat(repo.git("theta", "diff", "-3"))
                .contains("diff --theta model.safetensors (index stage 3 → working tree)")
                .contains("[2,2]→[4]");
        // as git checkout -- <path>: the index has no one version of an unmerged path to write it from
        Command.Result unmerged = repo.exec("git", "theta", "checkout", "model.safetensors");
        assertThat(unmerged.exit()).isNotZero();
        assertThat(unmerged.out()).startsWith("git-theta: model.safetensors: unmerged, not overwritten (take a side");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(before);
        // deleted, it is not taken for a missing checkpoint of the index (it said 'not in the index')
        Files.delete(repo.model);
        Command.Result deleted = repo.exec("git", "theta", "checkout");
        assertThat(deleted.exit()).isNotZero();
        assertThat(deleted.out()).startsWith("git-theta: model.safetensors: unmerged, not written (take a side");
        assertThat(repo.model).doesNotExist();
        // theirs taken with smudge skipped is written by git theta checkout, once though git lists it per stage
        repo.exec(SKIP_SMUDGE, "git", "checkout", "--theirs", "--", "model.safetensors")
                .assertOk();
        Command.Result written = repo.exec("git", "theta", "checkout");
        assertThat(written.exit()).as(written.out()).isZero();
        assertThat(written.out()).isEqualTo("git-theta: checked out 1 checkpoint(s)\n");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(Files.readAllBytes(checkoutCopy("x")));
        repo.git("merge", "--abort");
        assertThat(repo.git("status", "--porcelain")).isEmpty();
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(before);
    }

    /** A configured Fisher file that is missing: the driver's line says so, not only its path; git records a conflict. */
    @Test
    void aMissingFisherFileIsNamedWithWhatIsWrong() throws IOException {
        divergeOnW();
        Path missing = repo.home.resolve("missing.safetensors");
        Command.Result r = repo.gitMayFail(
                "-c",
                "theta.merge.strategy=fisher",
                "-c",
                "theta.merge.fisherOurs=" + missing,
                "-c",
                "theta.merge.fisherTheirs=" + missing,
                "merge",
                "--no-edit",
                "x");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("git-theta: " + missing + ": no such file or directory\n");
        repo.git("merge", "--abort");
    }

    @Test
    void modifiedAgainstDeletedIsAConflict() throws IOException {
        repo.git("checkout", "-qb", "x");
        MergeRepo.write(repo.model, List.of(T.of("w", DType.BF16, BASE_W), T.of("norm", DType.F16, BASE_N)));
        repo.git("commit", "-qam", "drop head");
        repo.git("checkout", "-q", "main");
        repo.commitModel("main", BASE_W, new double[] {0, 0, 0}, BASE_N);
        Command.Result r = repo.gitMayFail("merge", "--no-edit", "x");
        assertThat(r.out()).contains("head  (modified on ours, deleted on theirs)");
        assertThat(repo.git("status", "--porcelain")).isEqualTo("UU model.safetensors\n");
    }

    /**
     * A checkpoint deleted on ours and modified on theirs: git leaves theirs in the work tree, a manifest with smudge
     * skipped, which git theta merge then writes as the checkpoint, leaving the conflict's index stages alone.
     */
    @Test
    void gitThetaMergeWritesTheCheckpointGitLeftOfAConflict() throws IOException {
        repo.git("checkout", "-qb", "x");
        repo.commitModel("x", new double[] {7, 7, 7, 7}, BASE_H, BASE_N);
        Path theirs = checkoutCopy("x");
        repo.git("checkout", "-q", "main");
        repo.git("rm", "-q", "model.safetensors");
        repo.git("commit", "-qm", "delete the checkpoint");
        Command.Result r = repo.exec("git", "theta", "merge", "--no-edit", "x");
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("CONFLICT (modify/delete)");
        assertThat(repo.git("status", "--porcelain")).isEqualTo("DU model.safetensors\n");
        assertThat(Files.readAllBytes(repo.model)).isEqualTo(Files.readAllBytes(theirs));
    }

    @Test
    void parameterAddedOnOneSideIsKeptInARebuiltHeader() throws IOException {
        repo.git("checkout", "-qb", "x");
        MergeRepo.write(
                repo.model,
                List.of(
                        T.of("w", DType.BF16, BASE_W),
                        T.of("head", DType.F32, BASE_H),
                        T.of("norm", DType.F16, BASE_N),
                        T.of("adapter", DType.F32, 9, 8)));
        repo.git("commit", "-qam", "add adapter");
        repo.git("checkout", "-q", "main");
        repo.commitModel("main", BASE_W, new double[] {3, 2, 1}, BASE_N);
        repo.git("merge", "--no-edit", "x");
        Map<String, byte[]> merged = MergeRepo.tensors(repo.model);
        assertThat(merged.keySet()).containsExactly("w", "head", "norm", "adapter");
        assertThat(MergeRepo.values(merged.get("adapter"), DType.F32)).containsExactly(9, 8);
        assertThat(MergeRepo.values(merged.get("head"), DType.F32)).containsExactly(3, 2, 1);
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    @Test
    void rebaseOfABranchTouchingTheCheckpointMergesEachCommit() throws IOException {
        double[] xw = {1.0, -1.0, 2.0, 0.25};
        double[] mh = {3, 2, 1};
        diverge(xw, BASE_H, BASE_N, BASE_W, mh, BASE_N);
        repo.git("checkout", "-q", "x");
        repo.git("rebase", "main");
        Map<String, byte[]> rebased = MergeRepo.tensors(repo.model);
        assertThat(MergeRepo.values(rebased.get("w"), DType.BF16)).containsExactly(xw);
        assertThat(MergeRepo.values(rebased.get("head"), DType.F32)).containsExactly(mh);
        assertThat(repo.git("status", "--porcelain")).isEmpty();
    }

    @Test
    void rebaseWithAConflictStopsClearly() throws IOException {
        diverge(new double[] {1, 1, 1, 1}, BASE_H, BASE_N, new double[] {2, 2, 2, 2}, BASE_H, BASE_N);
        repo.git("config", "theta.merge.strategy", "fail");
        repo.git("checkout", "-q", "x");
        Command.Result r = repo.gitMayFail("rebase", "main");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("CONFLICT (parameters) in model.safetensors: w");
        repo.git("rebase", "--abort");
        assertThat(MergeRepo.values(MergeRepo.tensors(repo.model).get("w"), DType.BF16))
                .containsExactly(1, 1, 1, 1);
    }

    /** {@code git theta merge --strategy fisher} of branch x, with the two sides' Fisher information files. */
    private Command.Result mergeFisher(Path fisherOurs, Path fisherTheirs) throws IOException {
        return repo.exec(
                "git",
                "theta",
                "merge",
                "--strategy",
                "fisher",
                "--fisher-ours",
                fisherOurs.toString(),
                "--fisher-theirs",
                fisherTheirs.toString(),
                "--no-edit",
                "x");
    }

    private Path checkoutCopy(String rev) throws IOException {
        Path copy = repo.home.resolve(rev + ".safetensors");
        // the smudged file of another revision, through the filter, as git writes it
        Path wt = repo.home.resolve("wt-" + rev);
        repo.git("worktree", "add", "-q", "--detach", wt.toString(), rev);
        Files.copy(wt.resolve("model.safetensors"), copy);
        repo.git("worktree", "remove", "--force", wt.toString());
        return copy;
    }

    private static String line(String manifest, String param) {
        return manifest.lines()
                .filter(l -> l.startsWith("param " + param + " "))
                .findFirst()
                .orElseThrow();
    }
}
