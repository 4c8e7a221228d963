package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.config.Settings;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.transfer.ReferencedObjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Upload the parameter objects of the current branch's commits that the remote does not have yet "
                + "(the pre-push hook does this on 'git push').")
final class PushCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "<remote>", description = "default: theta.remote, else origin")
    Optional<String> remoteName = Optional.empty();

    @Option(names = "--all", description = "Every object of every local branch and tag, whatever the remote is known to have.")
    boolean all;

    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Settings settings = Git.settings(cwd);
        String name = Transfers.remoteName(settings, remoteName);
        try (ThetaRepo repo = Transfers.open(cwd)) {
            var remote = Transfers.remote(cwd, settings, name);
            var objects = all
                    ? ReferencedObjects.introducedBy(repo, Transfers.refTips(repo, "refs/heads/", "refs/tags/"), List.of())
                    : ReferencedObjects.introducedBy(repo, List.of(Transfers.commit(repo, "HEAD")), Transfers.refTips(repo, "refs/remotes/" + name + "/"));
            int sent = remote.push(objects, repo.store());
            System.err.println("git-theta: uploaded " + sent + " of " + objects.size() + " objects to " + remote.describe());
        }
        return 0;
    }
}
