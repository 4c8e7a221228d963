package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "fetch",
        mixinStandardHelpOptions = true,
        description = "Download the parameter objects that the checked-out version (or the given revisions) "
                + "needs and this repository lacks.")
public final class FetchCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(
            paramLabel = "[<remote>] [<rev>...]",
            description = "a remote (default: theta.remote, else origin), then revisions (default: HEAD)")
    List<String> args = new ArrayList<>();

    @Option(names = "--all", description = "Every version in the history of every branch and tag.")
    boolean all;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        List<String> revs = new ArrayList<>(args);
        try (ThetaRepository repo = Git.repository(cwd)) {
            Optional<String> given =
                    !revs.isEmpty() && repo.settings().remoteNames().contains(revs.getFirst())
                            ? Optional.of(revs.removeFirst())
                            : Optional.empty();
            if (all && !revs.isEmpty()) throw new UserException("give revisions or --all, not both");
            if (revs.isEmpty()) revs.add("HEAD");
            var remote = Transfers.remote(repo, Transfers.remoteName(repo, given));
            var wanted = all
                    ? repo.objectsIntroducedBy(repo.refTips("refs/heads/", "refs/tags/", "refs/remotes/"), List.of())
                    : repo.objectsAt(Transfers.commits(repo, revs));
            Transfers.fetch(repo, remote, wanted);
        }
        return 0;
    }
}
