package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "checkout",
        mixinStandardHelpOptions = true,
        description = "Write tracked checkpoints from the index into the working tree without Git holding them: "
                + "those left as manifests (GIT_THETA_SKIP_SMUDGE=1) or missing, or the given paths; missing objects "
                + "are fetched first, and the index entries are refreshed so that 'git status' stays clean. A "
                + "checkpoint changed since it was staged is never overwritten.")
public final class CheckoutCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(
            paramLabel = "<path>",
            description = "checkpoints to write, also where the working tree holds them unchanged "
                    + "(default: every tracked checkpoint that is a manifest or missing there)")
    List<String> paths = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Path top = Git.dirs(cwd).requireWorkTree("git theta checkout").topLevel();
        List<String> tracked = WorkTreeCheckpoints.tracked(cwd, paths);
        if (!paths.isEmpty() && tracked.isEmpty()) {
            throw new UserException(
                    "no checkpoint tracked by git-theta in the index matches " + String.join(" ", paths));
        }
        if (paths.isEmpty())
            WorkTreeCheckpoints.writeNotCheckedOut(cwd, top, WorkTreeCheckpoints.notCheckedOut(top, tracked));
        else WorkTreeCheckpoints.write(cwd, top, tracked);
        return 0;
    }
}
