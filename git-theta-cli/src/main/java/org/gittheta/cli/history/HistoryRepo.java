package org.gittheta.cli.history;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.ShardIndex;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.repo.Version;

/** What the history commands (diff, log, show) need beyond the repository itself: paths, tracking, revisions as typed.
 */
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

    /** Revisions and paths (from the top), as a history command's arguments give them. */
    record RevsAndPaths(List<String> revs, List<String> paths) {}

    /**
     * Splits a command's arguments as git does: everything after {@code --} is a path, everything before it a
     * revision. Without {@code --}, an argument that names revisions (one, {@code ^A}, or a range {@code A..B} or
     * {@code A...B} whose ends resolve) is taken as revisions, and refused if it also names a file in the working
     * tree; from the first that does not, every argument is a path, which must exist in the working tree or in a
     * revision given before it.
     *
     * @param args     the command's arguments, without {@code --}
     * @param original every argument of the command line, {@code --} included
     */
    RevsAndPaths split(List<String> args, List<String> original) throws IOException {
        int dd = original.indexOf("--");
        int firstPath = args.size() - (dd < 0 ? 0 : original.size() - dd - 1);
        List<String> revs = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i >= firstPath) {
                paths.add(repoPath(a));
            } else if (dd >= 0) {
                for (String rev : named(a)) commit(rev);
                revs.add(a);
            } else if (paths.isEmpty() && namesRevisions(a)) {
                // without a work tree (a bare repository holds a file HEAD) nothing is ambiguous, as in git
                if (dirs.hasWorkTree() && Files.exists(Path.of(a))) {
                    throw new UserException("ambiguous argument '" + a
                            + "': both revision and filename (use -- to separate paths from revisions)");
                }
                revs.add(a);
            } else if (exists(a, revs)) {
                paths.add(repoPath(a));
            } else {
                throw new UserException("unknown revision or path not in the working tree: '" + a
                        + "' (use -- to separate paths from revisions)");
            }
        }
        return new RevsAndPaths(revs, paths);
    }

    /** The revisions {@code text} names: one, one excluded ({@code ^A}), or the two ends of a range. */
    private static List<String> named(String text) {
        if (text.contains("..")) return sides(text);
        return List.of(text.startsWith("^") ? text.substring(1) : text);
    }

    private boolean namesRevisions(String text) throws IOException {
        for (String rev : named(text)) {
            if (!isRevision(rev)) return false;
        }
        return true;
    }

    /** Whether the path typed is in the working tree, or in one of the revisions {@code revs} name. */
    private boolean exists(String typed, List<String> revs) throws IOException {
        String path = repoPath(typed);
        // "" is the top of the tree, which every revision has (and git refuses as a pathspec)
        if (path.isEmpty() || dirs.hasWorkTree() && Files.exists(dirs.topLevel().resolve(path))) return true;
        for (String text : revs) {
            for (String rev : named(text)) {
                if (!listed(new Version.Rev(rev), List.of(path)).isEmpty()) return true;
            }
        }
        return false;
    }

    /** The two revisions a range {@code A..B} or {@code A...B} is written with, HEAD for one left out. */
    static List<String> sides(String range) {
        int k = range.indexOf("..");
        String from = range.substring(0, k);
        String to = range.substring(k + (range.startsWith("...", k) ? 3 : 2));
        return List.of(from.isEmpty() ? "HEAD" : from, to.isEmpty() ? "HEAD" : to);
    }

    /** The ends of a range {@code A..B} (from A to B) or {@code A...B} (from their merge base to B). */
    List<String> ends(String range) throws IOException {
        List<String> sides = sides(range);
        if (!range.contains("...")) return sides;
        Git.Result base = Git.exec(dirs.topLevel(), "merge-base", commit(sides.get(0)), commit(sides.get(1)));
        if (base.exit() != 0) {
            throw new UserException("'" + sides.get(0) + "' and '" + sides.get(1) + "' have no common commit");
        }
        return List.of(base.out().strip(), sides.get(1));
    }

    /** Whether {@code path} (from the top) is unmerged: in the index as a conflict's stages. */
    boolean unmerged(String path) throws IOException {
        return unmerged("--literal-pathspecs", "ls-files", "-u", "-z", "--full-name", "--", path)
                .contains(path);
    }

    /** The paths (from the top) in the index as a conflict's stages. */
    Set<String> unmergedPaths() throws IOException {
        return unmerged("ls-files", "-u", "-z", "--full-name");
    }

    private Set<String> unmerged(String... lsFiles) throws IOException {
        Set<String> out = new HashSet<>();
        // each entry is "<mode> <id> <stage>\t<path>"
        for (String entry : Git.run(dirs.topLevel(), lsFiles).split("\0")) {
            int tab = entry.indexOf('\t');
            if (tab >= 0) out.add(entry.substring(tab + 1));
        }
        return out;
    }

    boolean isRevision(String text) throws IOException {
        return repo.resolveCommit(text).isPresent();
    }

    /**
     * A path as the user typed it as a path from the top of the work tree: relative to the current directory when
     * that is in the work tree, else (GIT_WORK_TREE names another, a bare repository) to the top, as git takes it.
     * A path outside the work tree is refused, as git refuses it.
     */
    String repoPath(String typed) throws IOException {
        Path top = dirs.topLevel();
        Path cwd = Path.of("").toRealPath();
        Path abs = (dirs.hasWorkTree() && cwd.startsWith(top) ? cwd : top)
                .resolve(typed)
                .normalize();
        String path = top.relativize(abs).toString().replace(java.io.File.separatorChar, '/');
        if (path.equals("..") || path.startsWith("../")) {
            throw new UserException("'" + typed + "' is outside repository at '" + top + "'");
        }
        return path;
    }

    /** Paths present on either side that git-theta tracks, limited to {@code pathspecs} (from the top) if any. */
    List<String> trackedPaths(List<Version> sides, List<String> pathspecs) throws IOException {
        Targets t = targets(sides, pathspecs, false);
        return t.files();
    }

    /**
     * What the history commands compare: tracked checkpoint files, and sharded checkpoints named by their index
     * ({@code *.index.json}). With {@code sharded}, the shards an index names on either side are reported through
     * the index, not one by one. Every pathspec must name (or be a folder holding) one of them.
     */
    record Targets(List<String> files, List<String> indexes) {}

    Targets targets(List<Version> sides, List<String> pathspecs, boolean sharded) throws IOException {
        // the top of the work tree (typed "." there, ".." below it) is "" from the top: the whole tree, which git
        // takes as no pathspec (it refuses an empty one)
        List<String> specs = pathspecs.contains("") ? List.of() : pathspecs;
        Set<String> all = new LinkedHashSet<>();
        for (Version side : sides) all.addAll(listed(side, specs));
        List<String> tracked = tracked(List.copyOf(all));
        List<String> indexes = new ArrayList<>();
        Set<String> shards = new HashSet<>();
        if (sharded) {
            for (String path : all) {
                if (!ShardIndex.isIndexPath(path) || tracked.contains(path)) continue;
                Set<String> named = shardPaths(sides, path, specs.contains(path));
                if (named.isEmpty()) continue;
                indexes.add(path);
                shards.addAll(named);
            }
        }
        List<String> files =
                tracked.stream().filter(f -> !shards.contains(f)).sorted().toList();
        for (String spec : specs) {
            boolean found = Stream.concat(tracked.stream(), indexes.stream())
                    .anyMatch(t -> t.equals(spec) || t.startsWith(spec + "/"));
            // a file in the working tree that git does not track is no change, as in git diff
            boolean untracked = !all.contains(spec)
                    && sides.stream().anyMatch(side -> side instanceof Version.WorkTree)
                    && Files.exists(dirs.topLevel().resolve(spec));
            if (!found && !untracked) {
                String where = sides.stream()
                        .map(Object::toString)
                        .reduce((a, b) -> a + " or " + b)
                        .orElse("");
                throw all.contains(spec) ? notTracked(spec) : new UserException("'" + spec + "' is not in " + where);
            }
        }
        return new Targets(files, indexes.stream().sorted().toList());
    }

    /** The one-line refusal of a path that git-theta does not track. */
    static UserException notTracked(String path) {
        return new UserException("'" + path + "' is not tracked by git-theta (no filter=theta attribute)");
    }

    /** The shard paths an index names on any side; empty if it is no index there (refused if the user named it). */
    private Set<String> shardPaths(List<Version> sides, String index, boolean named) throws IOException {
        Set<String> out = new HashSet<>();
        for (Version side : sides) {
            try {
                Optional<ShardIndex> i = repo.shardIndex(side, index);
                if (i.isPresent()) i.get().shards().forEach(s -> out.add(i.get().shardPath(s)));
            } catch (BadCheckpointException e) {
                if (named) throw e;
            }
        }
        return out;
    }

    private List<String> listed(Version side, List<String> pathspecs) throws IOException {
        // paths, not pathspecs: a name such as ':x.safetensors' is not pathspec magic
        List<String> args = new ArrayList<>(List.of("--literal-pathspecs"));
        switch (side) {
            case Version.Rev r ->
                args.addAll(List.of("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit(r.rev())));
            case Version.Index i -> args.addAll(List.of("ls-files", "-z", "--full-name"));
            // the index's files, as git diff compares them: an untracked file is no change
            case Version.WorkTree w -> args.addAll(List.of("ls-files", "-z", "--full-name", "--cached"));
            case Version.None n -> {
                return List.of();
            }
        }
        args.add("--");
        args.addAll(pathspecs);
        List<String> out = new ArrayList<>();
        for (String p : Git.run(dirs.topLevel(), args.toArray(String[]::new)).split("\0")) {
            if (!p.isEmpty()) out.add(p);
        }
        return out;
    }

    /** Those of {@code paths} whose filter attribute is theta. */
    List<String> tracked(List<String> paths) throws IOException {
        if (paths.isEmpty()) return List.of();
        List<String> args = new ArrayList<>(List.of("check-attr", "-z", "filter", "--"));
        args.addAll(paths);
        String[] f = (dirs.hasWorkTree() ? Git.run(dirs.topLevel(), args.toArray(String[]::new)) : bareCheckAttr(args))
                .split("\0");
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 2 < f.length; i += 3) {
            if (f[i + 2].equals("theta")) out.add(f[i]);
        }
        return out;
    }

    /**
     * {@code git check-attr} where there is no work tree (a bare path remote): git 2.39 reads no .gitattributes there
     * ({@code --source} is 2.40's), so HEAD's top-level one is given as the attributes file, beside info/attributes.
     */
    private String bareCheckAttr(List<String> args) throws IOException {
        Git.Result attributes = Git.exec(dirs.topLevel(), "cat-file", "blob", "HEAD:.gitattributes");
        if (attributes.exit() != 0) return Git.run(dirs.topLevel(), args.toArray(String[]::new));
        Path file = Files.createTempFile(dirs.gitDir(), "theta-attributes-", "");
        try {
            Files.writeString(file, attributes.out());
            List<String> withFile = new ArrayList<>(List.of("-c", "core.attributesFile=" + file));
            withFile.addAll(args);
            return Git.run(dirs.topLevel(), withFile.toArray(String[]::new));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public void close() {
        repo.close();
    }
}
