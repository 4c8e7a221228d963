package org.gittheta.cli.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.cli.store.WorkTreeCheckpoints;
import org.gittheta.config.SettingException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description = "git merge with a merge strategy for the checkpoints' parameters, for this merge only "
                + "(runs 'git -c theta.merge.strategy=... merge ...'). With several revisions (or --base, --fisher): "
                + "one merge commit of HEAD and all of them, computed by git-theta. See docs/merging.md.")
public final class MergeCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "<commit>", description = "the branch or commit(s) to merge")
    List<String> commits = new ArrayList<>();

    @Option(
            names = "--config",
            paramLabel = "<merge.yml>",
            description = "a mergekit YAML configuration: its models and base_model are revisions or checkpoint "
                    + "files; one merge commit of HEAD and the models (see docs/merging.md)")
    Path config;

    @Option(
            names = "--base",
            paramLabel = "<rev>",
            description = "merge base of an N-way merge " + "(default: git merge-base --octopus)")
    String base;

    @Option(
            names = "--dry-run",
            description = "change nothing: report per parameter the path it takes, the cosine "
                    + "between task vectors, the fraction of sign conflicts, and the norms of "
                    + "each task vector and the result")
    boolean dryRun;

    @Option(names = "--json", description = "with --dry-run: the report as JSON on stdout")
    boolean json;

    @Option(
            names = "--fisher",
            paramLabel = "<rev>=<file>",
            description = "Fisher checkpoint of one merged revision " + "(HEAD for ours); N-way merges")
    List<String> fisher;

    @Option(
            names = {"-m", "--message"},
            paramLabel = "<msg>",
            description = "passed to git merge")
    String message;

    @Option(names = "--no-edit", description = "passed to git merge")
    boolean noEdit;

    @Option(names = "--no-commit", description = "passed to git merge")
    boolean noCommit;

    @Option(names = "--no-ff", description = "passed to git merge")
    boolean noFf;

    @Option(names = "--ff-only", description = "passed to git merge")
    boolean ffOnly;

    @Option(names = "--squash", description = "passed to git merge: the merged checkpoints staged, no merge commit")
    boolean squash;

    @Option(
            names = "--strategy",
            paramLabel = "S",
            description = "average (default), ours, theirs, base, fail, "
                    + "task-arithmetic, ties, dare, dare-ties, breadcrumbs, model-stock, slerp, fisher")
    String strategy;

    @Option(
            names = "--scope",
            paramLabel = "changed|all",
            description =
                    "changed (default): the strategy for parameters changed on both sides; all: for every parameter")
    String scope;

    @Option(
            names = "--lambda",
            paramLabel = "a[,b...]",
            description = "per-model λ, ours first (task-arithmetic, ties, " + "dare, dare-ties, breadcrumbs, fisher)")
    String lambda;

    @Option(names = "--weight", paramLabel = "a[,b...]", description = "per-model weights of average and ties")
    String weight;

    @Option(names = "--gamma", paramLabel = "g", description = "fraction of largest magnitudes breadcrumbs drops")
    String gamma;

    @Option(names = "--density", paramLabel = "d", description = "fraction of each task vector TIES keeps")
    String density;

    @Option(names = "--p", paramLabel = "p", description = "DARE drop probability")
    String p;

    @Option(names = "--seed", paramLabel = "n", description = "DARE seed")
    String seed;

    @Option(names = "--t", paramLabel = "t", description = "slerp position from ours (0) to theirs (1)")
    String t;

    @Option(names = "--fisher-ours", paramLabel = "F", description = "checkpoint with the diagonal Fisher of ours")
    Path fisherOurs;

    @Option(names = "--fisher-theirs", paramLabel = "F", description = "checkpoint with the diagonal Fisher of theirs")
    Path fisherTheirs;

    @Option(names = "--fisher-floor", paramLabel = "f", description = "lower bound of every Fisher value")
    String fisherFloor;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        if (json && !dryRun) throw new UserException("git theta merge: --json is for --dry-run");
        if (config != null) return configMerge(cwd);
        if (commits.isEmpty()) throw new UserException("git theta merge: name a revision to merge, or --config");
        List<String> config = new ArrayList<>();
        set(config, "strategy", strategy);
        set(config, "scope", scope);
        set(config, "lambda", lambda);
        set(config, "weight", weight);
        set(config, "gamma", gamma);
        set(config, "density", density);
        set(config, "p", p);
        set(config, "seed", seed);
        set(config, "t", t);
        set(config, "fisherFloor", fisherFloor);
        if (commits.size() > 1 || base != null || fisher != null || dryRun) return nWay(cwd, config);
        // the driver would refuse a bad setting only once git merge had started, and leave the merge half done
        try {
            Git.settings(cwd, config).mergeConfig();
        } catch (SettingException e) {
            throw new UserException("git theta merge: " + e.getMessage());
        }
        requireTwoModels("--lambda", lambda);
        requireTwoModels("--weight", weight);
        requireTwoModels("--density", density);
        // absolute: the driver runs at the repository top, not necessarily here
        if (fisherOurs != null) set(config, "fisherOurs", fisherFile(cwd, "--fisher-ours", fisherOurs.toString()));
        if (fisherTheirs != null)
            set(config, "fisherTheirs", fisherFile(cwd, "--fisher-theirs", fisherTheirs.toString()));
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(config);
        cmd.add("merge");
        if (message != null) cmd.addAll(List.of("-m", message));
        if (noEdit) cmd.add("--no-edit");
        cmd.addAll(twoWayFlags());
        cmd.addAll(commits);
        WorkTreeCheckpoints.refreshIndex(
                Git.dirs(cwd).requireWorkTree("git theta merge").topLevel());
        Optional<String> mergeId = WorkTreeCheckpoints.newMergeId();
        try {
            return WorkTreeCheckpoints.withoutGitHoldingCheckpoints(cwd, mergeId, env -> {
                ProcessBuilder git = new ProcessBuilder(cmd).inheritIO();
                git.environment().putAll(env);
                try {
                    return git.start().waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while running git merge", e);
                }
            });
        } finally {
            WorkTreeCheckpoints.removeMergedFiles(cwd, mergeId);
        }
    }

    private int nWay(Path cwd, List<String> config) throws IOException {
        if (!twoWayFlags().isEmpty())
            throw new UserException("git theta merge: " + String.join(" ", twoWayFlags()) + ": for two-way merges");
        Map<String, String> fishers = new LinkedHashMap<>();
        for (String f : fisher == null ? List.<String>of() : fisher) {
            int eq = f.indexOf('=');
            if (eq <= 0) throw new UserException("--fisher '" + f + "' is not <rev>=<file>");
            fishers.put(f.substring(0, eq), fisherFile(cwd, "--fisher", f.substring(eq + 1)));
        }
        if (fisherOurs != null) fishers.put("HEAD", fisherFile(cwd, "--fisher-ours", fisherOurs.toString()));
        if (fisherTheirs != null) {
            if (commits.size() != 1)
                throw new UserException("--fisher-theirs names one revision's Fisher: use --fisher <rev>=<file>");
            fishers.put(commits.getFirst(), fisherFile(cwd, "--fisher-theirs", fisherTheirs.toString()));
        }
        Path top = Git.dirs(cwd).requireWorkTree("git theta merge").topLevel();
        return new OctopusMerge(top, config, System.err)
                .run(commits, Optional.ofNullable(base), fishers, Optional.ofNullable(message), dryRun, json);
    }

    /** The flags given that only git's own two-way merge takes. */
    private List<String> twoWayFlags() {
        List<String> flags = new ArrayList<>();
        if (noCommit) flags.add("--no-commit");
        if (noFf) flags.add("--no-ff");
        if (ffOnly) flags.add("--ff-only");
        if (squash) flags.add("--squash");
        return flags;
    }

    private int configMerge(Path cwd) throws IOException {
        Map<String, Object> others = new LinkedHashMap<>();
        others.put("<commit>", commits.isEmpty() ? null : commits);
        others.put("--strategy", strategy);
        others.put("--scope", scope);
        others.put("--lambda", lambda);
        others.put("--weight", weight);
        others.put("--gamma", gamma);
        others.put("--density", density);
        others.put("--p", p);
        others.put("--seed", seed);
        others.put("--t", t);
        others.put("--fisher-floor", fisherFloor);
        others.put("--fisher", fisher);
        others.put("--fisher-ours", fisherOurs);
        others.put("--fisher-theirs", fisherTheirs);
        others.put("--base", base);
        for (String flag : twoWayFlags()) others.put(flag, true);
        for (Map.Entry<String, Object> o : others.entrySet()) {
            if (o.getValue() != null)
                throw new UserException("git theta merge: " + o.getKey() + " does not go with --config: " + config
                        + " says what to merge and how");
        }
        return new ConfigMerge(Git.dirs(cwd).requireWorkTree("git theta merge").topLevel(), cwd, System.err)
                .run(config, Optional.ofNullable(message), dryRun, json);
    }

    /** A per-model option of a two-way merge has one value, or one each for ours and theirs. */
    private static void requireTwoModels(String option, String values) {
        int count = values == null ? 0 : values.split(",", -1).length;
        if (count > 2) {
            throw new UserException("git theta merge: " + option + " " + values + " gives " + count
                    + " values for the 2 models of a two-way merge");
        }
    }

    /**
     * The Fisher file given to {@code option}, as an absolute path; refused before anything starts if it is not a
     * file (the merge would otherwise stop at the first parameter it reads it for, with git's merge half done).
     */
    private static String fisherFile(Path cwd, String option, String given) {
        Path file = cwd.resolve(given);
        if (!Files.isRegularFile(file))
            throw new UserException("git theta merge: " + option + " " + given + ": no such file");
        return file.toString();
    }

    private static void set(List<String> cmd, String key, String value) {
        if (value == null) return;
        cmd.add("-c");
        cmd.add("theta.merge." + key + "=" + value);
    }
}
