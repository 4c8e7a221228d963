package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "ls-files",
        mixinStandardHelpOptions = true,
        description = {
            "The tracked checkpoints of a commit (default HEAD): format, tensors, parameters, size, delta-chain "
                    + "depth, bytes this version added (against the first parent's) and needs, where its objects "
                    + "are (here, only on the remote, missing), and how its parameters are stored.",
            "--all: every distinct version of every checkpoint in the history of all refs, at the commit that "
                    + "introduced it, oldest first."
        })
public final class LsFilesCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "<rev>", description = "The commit to list (default HEAD).")
    Optional<String> rev = Optional.empty();

    @Option(names = "--all", description = "Every version in the history of all refs, where it was introduced.")
    boolean all;

    @Mixin
    ListingOptions options = new ListingOptions();

    @Override
    public Integer call() throws IOException {
        if (all && rev.isPresent()) throw new UserException("--all lists every commit: give no revision with it");
        try (ThetaRepository repo = Git.repository(Path.of("").toAbsolutePath())) {
            if (all) {
                CheckpointListingOutput.print(
                        repo.listAllFiles(options.offline), CheckpointListingOutput.Kind.HISTORY, options.json);
            } else {
                String r = rev.orElse("HEAD");
                if (repo.resolveCommit(r).isEmpty()) {
                    if (rev.isEmpty()) return 0; // no commit yet: nothing to list, as git ls-tree HEAD
                    throw new UserException("unknown revision '" + r + "'");
                }
                CheckpointListingOutput.print(
                        repo.listFiles(r, options.offline), CheckpointListingOutput.Kind.REVISION, options.json);
            }
        }
        return 0;
    }
}
