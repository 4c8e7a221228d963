package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "git merge with a merge strategy for the checkpoints' parameters, for this merge only "
                + "(runs 'git -c theta.merge.strategy=... merge ...'; see docs/merging.md).")
final class MergeCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<commit>", description = "the branch or commit(s) to merge")
    List<String> commits;

    @Option(names = {"-m", "--message"}, paramLabel = "<msg>", description = "passed to git merge")
    String message;
    @Option(names = "--no-edit", description = "passed to git merge") boolean noEdit;
    @Option(names = "--no-commit", description = "passed to git merge") boolean noCommit;
    @Option(names = "--no-ff", description = "passed to git merge") boolean noFf;

    @Option(names = "--strategy", paramLabel = "S", description = "average (default), ours, theirs, base, fail, task-arithmetic, ties, dare, slerp, fisher")
    String strategy;
    @Option(names = "--scope", paramLabel = "changed|all",
            description = "changed (default): the strategy for parameters changed on both sides; all: for every parameter")
    String scope;
    @Option(names = "--lambda", paramLabel = "a[,b]", description = "weights of ours and theirs (task-arithmetic, ties, dare, fisher)")
    String lambda;
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

    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of("git"));
        set(cmd, "strategy", strategy);
        set(cmd, "scope", scope);
        set(cmd, "lambda", lambda);
        set(cmd, "density", density);
        set(cmd, "p", p);
        set(cmd, "seed", seed);
        set(cmd, "t", t);
        set(cmd, "fisherFloor", fisherFloor);
        // absolute: the driver runs at the repository top, not necessarily here
        if (fisherOurs != null) set(cmd, "fisherOurs", cwd.resolve(fisherOurs).toString());
        if (fisherTheirs != null) set(cmd, "fisherTheirs", cwd.resolve(fisherTheirs).toString());
        cmd.add("merge");
        if (message != null) cmd.addAll(List.of("-m", message));
        if (noEdit) cmd.add("--no-edit");
        if (noCommit) cmd.add("--no-commit");
        if (noFf) cmd.add("--no-ff");
        cmd.addAll(commits);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        try {
            return pb.start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git merge", e);
        }
    }

    private static void set(List<String> cmd, String key, String value) {
        if (value == null) return;
        cmd.add("-c");
        cmd.add("theta.merge." + key + "=" + value);
    }
}
