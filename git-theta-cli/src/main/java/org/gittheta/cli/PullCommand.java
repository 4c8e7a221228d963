package org.gittheta.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.gittheta.format.Formats;
import org.gittheta.manifest.Manifest;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Fetch the parameter objects of the checked-out version, then write out tracked checkpoints "
                + "that are not checked out yet (left as manifests, or missing after a checkout that failed).")
final class PullCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "<remote>", description = "default: theta.remote, else origin")
    Optional<String> remoteName = Optional.empty();

    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Git.Dirs dirs = Git.dirs(cwd);
        try (ThetaRepository repo = Git.repository(cwd)) {
            var remote = Transfers.remote(repo, Transfers.remoteName(repo, remoteName));
            Transfers.fetch(repo, remote, repo.objectsAt(List.of(Transfers.commit(repo, "HEAD"))));
        }
        List<String> stale = stale(dirs.topLevel());
        if (stale.isEmpty()) return 0;
        for (String path : stale) Files.deleteIfExists(dirs.topLevel().resolve(path));
        List<String> checkout = new ArrayList<>(List.of("checkout", "HEAD", "--"));
        checkout.addAll(stale);
        Git.run(dirs.topLevel(), checkout.toArray(String[]::new));
        System.err.println("git-theta: checked out " + stale.size() + " checkpoint(s)");
        return 0;
    }

    /**
     * Checkpoints at HEAD whose working file holds the manifest text (checked out without the filter), or that
     * neither the working tree nor the index has (a checkout that failed for want of objects). A file deleted
     * on purpose is still in the index and is left alone.
     */
    private static List<String> stale(Path top) throws IOException {
        Set<String> indexed = Set.copyOf(List.of(Git.run(top, "ls-files", "-z").split("\0")));
        List<String> out = new ArrayList<>();
        for (String path : Git.run(top, "ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0")) {
            if (path.isEmpty() || Formats.forPath(path).isEmpty()) continue;
            Path file = top.resolve(path);
            if (Files.isRegularFile(file)) {
                byte[] head;
                try (InputStream in = Files.newInputStream(file)) {
                    head = in.readNBytes(64);
                }
                if (Manifest.looksLike(head, head.length)) out.add(path);
            } else if (!Files.exists(file) && !indexed.contains(path)) {
                out.add(path);
            }
        }
        return out;
    }
}
