package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.gittheta.cli.Git;
import org.gittheta.cli.StaleTemps;
import org.gittheta.cli.UserException;
import org.gittheta.repo.GcOptions;
import org.gittheta.repo.GcReport;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.store.PruneExpiry;
import org.gittheta.transfer.ObjectRemote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "gc",
        mixinStandardHelpOptions = true,
        description = {
            "Delete parameter objects that nothing reachable uses (refs, reflogs, the index, the stash, "
                    + "and the bases their deltas need), and temporary files of interrupted writes.",
            "Nothing younger than the prune age is deleted, so an add running meanwhile is safe."
        })
public final class GcCommand implements Callable<Integer> {
    @Option(
            names = "--prune",
            paramLabel = "<date>",
            defaultValue = PruneExpiry.DEFAULT,
            description = "Only delete what was last modified before this: now, 2.weeks.ago (default), an ISO date.")
    String prune;

    @Option(
            names = {"-n", "--dry-run"},
            description = "List what would be deleted; delete nothing.")
    boolean dryRun;

    @Option(
            names = "--verify-remote",
            description = "Also delete local copies of objects only old versions use "
                    + "(not HEAD, the index or a branch tip) when the default remote confirms it holds them.")
    boolean verifyRemote;

    @Override
    public Integer call() throws IOException {
        Instant now = Instant.now();
        Instant cutoff;
        try {
            cutoff = PruneExpiry.cutoff(prune, now);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        GcReport report;
        try (ThetaRepository repo = Git.repository(Path.of("").toAbsolutePath())) {
            Optional<ObjectRemote> remote = verifyRemote
                    ? Optional.of(Transfers.remote(repo, Transfers.remoteName(repo, Optional.empty())))
                    : Optional.empty();
            report = repo.gc(new GcOptions(cutoff, StaleTemps.cutoff(cutoff), dryRun, remote));
        }
        if (dryRun) {
            for (GcReport.Removed r : concat(report.objects(), report.tempFiles())) {
                System.out.println("would remove " + r.name() + " (" + mib(r.bytes()) + ", "
                        + r.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")");
            }
        }
        System.err.println("git-theta: gc: " + (dryRun ? "would remove " : "removed ")
                + report.objects().size()
                + " objects, " + mib(report.objectBytes())
                + (report.tempFiles().isEmpty()
                        ? ""
                        : ", and " + report.tempFiles().size() + " temporary files, " + mib(report.tempBytes()))
                + (report.keptYoung() == 0
                        ? ""
                        : "; kept " + report.keptYoung() + " unused objects younger than the prune age"));
        return 0;
    }

    private static List<GcReport.Removed> concat(List<GcReport.Removed> a, List<GcReport.Removed> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
