package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "push",
        mixinStandardHelpOptions = true,
        description = "Upload the parameter objects of the current branch's commits that the remote does not have yet "
                + "(the pre-push hook does this on 'git push').")
public final class PushCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "<remote>", description = "default: theta.remote, else origin")
    Optional<String> remoteName = Optional.empty();

    @Option(
            names = "--all",
            description = "Every object of every local branch and tag, whatever the remote is known to have.")
    boolean all;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        try (ThetaRepository repo = Git.repository(cwd)) {
            String name = Transfers.remoteName(repo, remoteName);
            var remote = Transfers.pushRemote(repo, name);
            var objects = all
                    ? repo.objectsIntroducedBy(repo.refTips("refs/heads/", "refs/tags/"), List.of())
                    : repo.objectsIntroducedBy(
                            List.of(Transfers.commit(repo, "HEAD")), repo.refTips("refs/remotes/" + name + "/"));
            int sent = repo.push(remote, objects);
            System.err.println(
                    "git-theta: uploaded " + sent + " of " + objects.size() + " objects to " + remote.describe());
        }
        return 0;
    }
}
