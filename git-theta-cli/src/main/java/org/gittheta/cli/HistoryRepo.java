package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.repo.Version;

/** What the history commands (diff, log, show) need beyond the repository itself: paths, tracking, revisions as typed. */
final class HistoryRepo implements AutoCloseable {
    final Git.Dirs dirs;
    final ThetaRepository repo;

    private HistoryRepo(Git.Dirs dirs, ThetaRepository repo) {
        this.dirs = dirs;
        this.repo = repo;
    }

    static HistoryRepo open() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        return new HistoryRepo(Git.dirs(cwd), Git.repository(cwd));
    }

    /** The commit {@code rev} names. @throws UserException naming the revision if there is none */
    String commit(String rev) throws IOException {
        return repo.resolveCommit(rev).orElseThrow(() -> new UserException("unknown revision '" + rev + "'"));
    }

    boolean isRevision(String text) throws IOException {
        return repo.resolveCommit(text).isPresent();
    }

    /** A path as the user typed it (relative to the current directory) as a path from the top of the work tree. */
    String repoPath(String typed) {
        Path abs = Path.of("").toAbsolutePath().resolve(typed).normalize();
        return dirs.topLevel().relativize(abs).toString().replace(java.io.File.separatorChar, '/');
    }

    /** Paths present on either side that git-theta tracks, limited to {@code pathspecs} (from the top) if any. */
    List<String> trackedPaths(List<Version> sides, List<String> pathspecs) throws IOException {
        Set<String> all = new LinkedHashSet<>();
        for (Version side : sides) {
            List<String> args = new ArrayList<>();
            switch (side) {
                case Version.Rev r -> args.addAll(List.of("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit(r.rev())));
                case Version.Index i -> args.addAll(List.of("ls-files", "-z", "--full-name"));
                case Version.WorkTree w -> args.addAll(List.of("ls-files", "-z", "--full-name", "--cached", "--others", "--exclude-standard"));
                case Version.None n -> {
                    continue;
                }
            }
            args.add("--");
            args.addAll(pathspecs);
            for (String p : Git.run(dirs.topLevel(), args.toArray(String[]::new)).split("\0")) {
                if (!p.isEmpty()) all.add(p);
            }
        }
        List<String> tracked = tracked(List.copyOf(all));
        for (String spec : pathspecs) {
            if (!tracked.contains(spec) && tracked.stream().noneMatch(t -> t.startsWith(spec + "/"))) {
                throw new UserException(all.contains(spec) ? "'" + spec + "' is not tracked by git-theta (no filter=theta attribute)"
                        : "'" + spec + "' is not in " + sides.stream().map(Object::toString).reduce((a, b) -> a + " or " + b).orElse(""));
            }
        }
        return tracked.stream().sorted().toList();
    }

    /** Those of {@code paths} whose filter attribute is theta. */
    List<String> tracked(List<String> paths) throws IOException {
        if (paths.isEmpty()) return List.of();
        List<String> args = new ArrayList<>(List.of("check-attr", "-z", "filter", "--"));
        args.addAll(paths);
        String[] f = Git.run(dirs.topLevel(), args.toArray(String[]::new)).split("\0");
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 2 < f.length; i += 3) {
            if (f[i + 2].equals("theta")) out.add(f[i]);
        }
        return out;
    }

    @Override public void close() { repo.close(); }
}
