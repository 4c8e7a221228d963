package org.gittheta.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.manifest.Manifest;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "checkout",
        mixinStandardHelpOptions = true,
        description = "Write tracked checkpoints from the index into the working tree without Git holding them: "
                + "those left as manifests (GIT_THETA_SKIP_SMUDGE=1) or missing, or the given paths; missing objects "
                + "are fetched first, and the index entries are refreshed so that 'git status' stays clean.")
final class CheckoutCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(
            paramLabel = "<path>",
            description = "checkpoints to write whatever the working tree holds "
                    + "(default: every tracked checkpoint that is a manifest or missing there)")
    List<String> paths = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Path top = Git.dirs(cwd).topLevel();
        List<String> tracked = tracked(cwd, paths);
        if (!paths.isEmpty() && tracked.isEmpty()) {
            throw new UserException(
                    "no checkpoint tracked by git-theta in the index matches " + String.join(" ", paths));
        }
        write(cwd, top, paths.isEmpty() ? notCheckedOut(top, tracked) : tracked);
        return 0;
    }

    /** Index paths (from the top) under the pathspecs whose filter is git-theta's. */
    static List<String> tracked(Path cwd, List<String> pathspecs) throws IOException {
        List<String> args = new ArrayList<>(List.of("ls-files", "-z", "--full-name", "--"));
        args.addAll(pathspecs);
        List<String> indexed = split(Git.run(cwd, args.toArray(String[]::new)));
        if (indexed.isEmpty()) return indexed;
        Path top = Git.dirs(cwd).topLevel();
        List<String> check = new ArrayList<>(List.of("check-attr", "-z", "filter", "--"));
        check.addAll(indexed);
        List<String> attrs = split(Git.run(top, check.toArray(String[]::new)));
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 2 < attrs.size(); i += 3) {
            if (attrs.get(i + 2).equals("theta")) out.add(attrs.get(i));
        }
        return out;
    }

    /** Of these, the paths whose working file holds the manifest text or is missing. */
    static List<String> notCheckedOut(Path top, List<String> paths) throws IOException {
        List<String> out = new ArrayList<>();
        for (String path : paths) {
            Path file = top.resolve(path);
            if (!Files.exists(file)) {
                out.add(path);
            } else if (Files.isRegularFile(file)) {
                byte[] head;
                try (InputStream in = Files.newInputStream(file)) {
                    head = in.readNBytes(64);
                }
                if (Manifest.looksLike(head, head.length)) out.add(path);
            }
        }
        return out;
    }

    /** Writes the index's checkpoints for these paths and refreshes their index entries. */
    static void write(Path cwd, Path top, List<String> paths) throws IOException {
        if (paths.isEmpty()) return;
        // without the filter, the refresh below would stage the checkpoint's bytes in place of its manifest
        if (Git.exec(top, "config", "filter.theta.process").out().isBlank()) {
            throw new UserException("git-theta's filter is not configured here; run 'git theta install' first");
        }
        try (ThetaRepository repo = Git.repository(cwd)) {
            repo.checkout(paths);
        }
        // the stat cache answers the clean this re-runs, so the values are not read again
        List<String> refresh = new ArrayList<>(List.of("update-index", "-q", "--"));
        refresh.addAll(paths);
        Git.run(top, refresh.toArray(String[]::new));
        System.err.println("git-theta: checked out " + paths.size() + " checkpoint(s)");
    }

    static List<String> split(String nulSeparated) {
        return nulSeparated.isEmpty() ? List.of() : List.of(nulSeparated.split("\0"));
    }
}
