package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.config.Settings;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.transfer.ReferencedObjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = "Download the parameter objects that the checked-out version (or the given revisions) needs and this repository lacks.")
final class FetchCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(paramLabel = "[<remote>] [<rev>...]", description = "a remote (default: theta.remote, else origin), then revisions (default: HEAD)")
    List<String> args = new ArrayList<>();

    @Option(names = "--all", description = "Every version in the history of every branch and tag.")
    boolean all;

    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        List<String> revs = new ArrayList<>(args);
        Settings settings = Git.settings(cwd);
        Optional<String> given = !revs.isEmpty() && settings.remoteNames().contains(revs.getFirst()) ? Optional.of(revs.removeFirst()) : Optional.empty();
        if (all && !revs.isEmpty()) throw new UserException("give revisions or --all, not both");
        if (revs.isEmpty()) revs.add("HEAD");
        try (ThetaRepo repo = Transfers.open(cwd)) {
            var remote = Transfers.remote(cwd, settings, Transfers.remoteName(settings, given));
            var wanted = all
                    ? ReferencedObjects.introducedBy(repo, Transfers.refTips(repo, "refs/heads/", "refs/tags/", "refs/remotes/"), List.of())
                    : ReferencedObjects.atCommits(repo, Transfers.commits(repo, revs));
            Transfers.fetch(repo, remote, wanted);
        }
        return 0;
    }
}
