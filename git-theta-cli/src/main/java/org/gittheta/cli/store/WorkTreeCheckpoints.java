package org.gittheta.cli.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.manifest.Manifest;
import org.gittheta.repo.ThetaRepository;

/** Tracked checkpoints of the work tree that git left as manifests, and writing them out: for checkout and pull. */
final class WorkTreeCheckpoints {
    private WorkTreeCheckpoints() {}

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

    /** Writes the index's checkpoints for these paths and refreshes their index entries (Git's refresh if need be). */
    static void write(Path cwd, Path top, List<String> paths) throws IOException {
        if (paths.isEmpty()) return;
        List<String> unrefreshed;
        try (ThetaRepository repo = Git.repository(cwd)) {
            // without the filter, the refresh below would stage the checkpoint's bytes in place of its manifest
            if (repo.settings()
                    .get("filter.theta.process")
                    .filter(v -> !v.isBlank())
                    .isEmpty()) {
                throw new UserException("git-theta's filter is not configured here; run 'git theta install' first");
            }
            unrefreshed = repo.checkout(paths);
        }
        if (!unrefreshed.isEmpty()) {
            // the stat cache answers the clean this re-runs, so the values are not decoded again
            List<String> refresh = new ArrayList<>(List.of("update-index", "-q", "--"));
            refresh.addAll(unrefreshed);
            Git.run(top, refresh.toArray(String[]::new));
        }
        System.err.println("git-theta: checked out " + paths.size() + " checkpoint(s)");
    }

    static List<String> split(String nulSeparated) {
        return nulSeparated.isEmpty() ? List.of() : List.of(nulSeparated.split("\0"));
    }
}
