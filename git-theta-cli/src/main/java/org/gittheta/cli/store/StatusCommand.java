package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.gittheta.cli.Git;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "The tracked checkpoints staged in the index: whether the index differs from HEAD and the working file "
                    + "from the index, format, tensors, parameters, size, delta-chain depth, bytes this version "
                    + "added and needs, where its objects are, and how its parameters are stored.",
            "The working file is compared without being cleaned: nothing is written to the object store."
        })
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    ListingOptions options = new ListingOptions();

    @Override
    public Integer call() throws IOException {
        Git.dirs(Path.of("").toAbsolutePath()).requireWorkTree("git theta status");
        try (ThetaRepository repo = Git.repository(Path.of("").toAbsolutePath())) {
            CheckpointListingOutput.print(
                    repo.status(options.offline), CheckpointListingOutput.Kind.STATUS, options.json);
        }
        return 0;
    }
}
