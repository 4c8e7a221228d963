package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.gittheta.cli.Git;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "pull",
        mixinStandardHelpOptions = true,
        description = "Fetch the parameter objects of the checked-out version, then write out tracked checkpoints "
                + "that are not checked out yet (left as manifests, or missing after a checkout that failed).")
public final class PullCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "<remote>", description = "default: theta.remote, else origin")
    Optional<String> remoteName = Optional.empty();

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Path top = Git.dirs(cwd).requireWorkTree("git theta pull").topLevel();
        try (ThetaRepository repo = Git.repository(cwd)) {
            var remote = Transfers.remote(repo, Transfers.remoteName(repo, remoteName));
            Transfers.fetch(repo, remote, repo.objectsAt(List.of(Transfers.commit(repo, "HEAD"))));
        }
        // a checkout that failed for want of objects left neither the file nor its index entry: take it from HEAD
        Set<String> indexed = Set.copyOf(WorkTreeCheckpoints.split(Git.run(top, "ls-files", "-z")));
        List<String> lost = new ArrayList<>();
        for (String path : WorkTreeCheckpoints.split(Git.run(top, "ls-tree", "-r", "-z", "--name-only", "HEAD"))) {
            if (!indexed.contains(path) && !Files.exists(top.resolve(path))) lost.add(path);
        }
        if (!lost.isEmpty()) {
            List<String> reset = new ArrayList<>(List.of("reset", "-q", "HEAD", "--"));
            reset.addAll(lost);
            Git.run(top, reset.toArray(String[]::new));
        }
        // a file deleted on purpose is still in the index (its deletion unstaged) and is left alone
        List<String> stale = new ArrayList<>();
        for (String path : WorkTreeCheckpoints.notCheckedOut(top, WorkTreeCheckpoints.tracked(top, List.of()))) {
            if (Files.exists(top.resolve(path)) || lost.contains(path)) stale.add(path);
        }
        WorkTreeCheckpoints.writeNotCheckedOut(cwd, top, stale);
        return 0;
    }
}
