package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.gittheta.cli.Git;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.UserException;
import org.gittheta.repo.SquashReport;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.text.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "squash",
        mixinStandardHelpOptions = true,
        description = {
            "Store the parameters of the staged checkpoints that are deltas on top of older versions directly "
                    + "(dense), and stage the result: the same file, whose next commit needs none of the old bases.",
            "History is not rewritten: once no commit, reflog or index uses the old bases, 'git theta gc' can "
                    + "delete them. With <rev>, that revision's version is squashed; the index must hold the same "
                    + "file."
        })
public final class SquashCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "<rev>|<path>",
            arity = "0..*",
            description = "An optional revision, then checkpoints (after -- if ambiguous); default: every staged one.")
    List<String> args = new ArrayList<>();

    @Option(
            names = "--min-depth",
            paramLabel = "<n>",
            defaultValue = "1",
            description = "Squash only parameters whose delta chain is at least this deep (default ${DEFAULT-VALUE}).")
    int minDepth;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (minDepth < 1) throw new UserException("--min-depth " + minDepth + ": must be 1 or more");
        Path cwd = Path.of("").toAbsolutePath();
        SquashReport report;
        Git.dirs(cwd).requireWorkTree("git theta squash");
        try (ThetaRepository repo = Git.repository(cwd)) {
            List<String> original = spec.commandLine().getParseResult().originalArgs();
            int dashes = original.indexOf("--");
            int beforeDashes = dashes < 0 ? args.size() : args.size() - (original.size() - dashes - 1);
            Optional<String> rev = Optional.empty();
            List<String> pathspecs = new ArrayList<>(args);
            if (beforeDashes > 1 && dashes >= 0) {
                throw new UserException("at most one revision before --: " + String.join(" ", args));
            }
            boolean firstIsRev = dashes >= 0
                    ? beforeDashes == 1
                    : !args.isEmpty()
                            && !Files.exists(cwd.resolve(args.getFirst()))
                            && repo.resolveCommit(args.getFirst()).isPresent();
            if (firstIsRev) rev = Optional.of(pathspecs.removeFirst());
            List<String> paths = List.of();
            if (!pathspecs.isEmpty()) {
                paths = WorkTreeCheckpoints.tracked(cwd, pathspecs);
                if (paths.isEmpty()) {
                    throw new UserException(
                            "no checkpoint tracked by git-theta in the index matches " + String.join(" ", pathspecs));
                }
            }
            report = repo.squash(rev, paths, minDepth);
        }
        List<SquashReport.File> squashed =
                report.files().stream().filter(f -> f.squashed() > 0).toList();
        for (SquashReport.File f : squashed) System.out.println(Printable.escape(describe(f)));
        if (squashed.isEmpty()) {
            System.err.println("git-theta: squash: nothing to squash (no delta chain " + minDepth + " or more deep)");
        }
        return 0;
    }

    private static String describe(SquashReport.File f) {
        return f.path() + ": " + f.squashed() + (f.squashed() == 1 ? " parameter" : " parameters")
                + " squashed (longest delta chain was " + f.maxDepthBefore()
                + "), " + Sizes.human(f.valueBytes()) + " of values stored directly in "
                + Sizes.human(f.writtenBytes()) + "; " + Sizes.human(f.releasedBytes())
                + " of objects no longer needed by the index (gc deletes them once nothing else uses them)";
    }
}
