package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.ObjectId;
import org.gittheta.diff.FileSnapshot;
import org.gittheta.diff.Snapshot;
import org.gittheta.diff.StoredSnapshot;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.Formats;
import org.gittheta.manifest.Manifest;
import org.gittheta.repo.ThetaRepo;

/** What the history commands (diff, log, show) need from the repository around the current directory. */
final class HistoryRepo implements AutoCloseable {
    /** A version of the tree: a revision, the index, or the working tree. */
    sealed interface Side {
        record Rev(String rev) implements Side { @Override public String toString() { return rev; } }

        record Index() implements Side { @Override public String toString() { return "index"; } }

        record WorkTree() implements Side { @Override public String toString() { return "working tree"; } }
    }

    final Git.Dirs dirs;
    final ThetaRepo repo;

    private HistoryRepo(Git.Dirs dirs, ThetaRepo repo) {
        this.dirs = dirs;
        this.repo = repo;
    }

    static HistoryRepo open() throws IOException {
        Git.Dirs dirs = Git.dirs(Path.of("").toAbsolutePath());
        return new HistoryRepo(dirs, ThetaRepo.open(dirs.gitDir(), dirs.commonDir()));
    }

    /** The commit {@code rev} names. @throws UserException naming the revision if there is none */
    ObjectId commit(String rev) throws IOException {
        ObjectId id = repo.git().resolve(rev + "^{commit}");
        if (id == null) throw new UserException("unknown revision '" + rev + "'");
        return id;
    }

    boolean isRevision(String text) throws IOException {
        try {
            return repo.git().resolve(text + "^{commit}") != null;
        } catch (org.eclipse.jgit.errors.RevisionSyntaxException e) {
            return false;
        }
    }

    /** The manifest of {@code path} at a revision or in the index; empty when the path is absent there. */
    Optional<Manifest> manifest(Side side, String path) throws IOException {
        if (side instanceof Side.WorkTree) throw new IllegalArgumentException("the working tree has files, not manifests");
        Optional<ObjectId> blob = blob(side, path);
        if (blob.isEmpty()) return Optional.empty();
        Optional<Manifest> m = repo.manifestOfBlob(blob.get());
        if (m.isEmpty()) {
            throw new UserException(path + " in " + side + " is not a git-theta manifest (was it committed before it was tracked?)");
        }
        return m;
    }

    /** The blob Git stores for {@code path} at a revision or in the index; always empty for the working tree. */
    Optional<ObjectId> blob(Side side, String path) throws IOException {
        return switch (side) {
            case Side.Rev r -> repo.blobAt(commit(r.rev()).name(), path);
            case Side.Index i -> indexBlob(path);
            case Side.WorkTree w -> Optional.empty();
        };
    }

    private Optional<ObjectId> indexBlob(String path) throws IOException {
        DirCacheEntry entry = DirCache.read(repo.git()).getEntry(path);
        return entry == null ? Optional.empty() : Optional.of(entry.getObjectId());
    }

    /** The version of {@code path} on one side as a snapshot; an empty one when the path is absent there. */
    Snapshot snapshot(Side side, String path) throws IOException {
        if (side instanceof Side.WorkTree) {
            Path file = dirs.topLevel().resolve(path);
            if (!Files.isRegularFile(file)) return StoredSnapshot.absent(repo.store());
            CheckpointFormat format = Formats.forPath(path)
                    .orElseThrow(() -> new UserException(path + ": git-theta does not know this checkpoint format"));
            return FileSnapshot.open(file, path, format);
        }
        Optional<Manifest> m = manifest(side, path);
        return m.isEmpty() ? StoredSnapshot.absent(repo.store()) : new StoredSnapshot(m.get(), repo.store());
    }

    /** A path as the user typed it (relative to the current directory) as a path from the top of the work tree. */
    String repoPath(String typed) {
        Path abs = Path.of("").toAbsolutePath().resolve(typed).normalize();
        return dirs.topLevel().relativize(abs).toString().replace(java.io.File.separatorChar, '/');
    }

    /** Paths present on either side that git-theta tracks, limited to {@code pathspecs} (from the top) if any. */
    List<String> trackedPaths(List<Side> sides, List<String> pathspecs) throws IOException {
        Set<String> all = new LinkedHashSet<>();
        for (Side side : sides) {
            List<String> args = new ArrayList<>();
            switch (side) {
                case Side.Rev r -> args.addAll(List.of("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit(r.rev()).name()));
                case Side.Index i -> args.addAll(List.of("ls-files", "-z", "--full-name"));
                case Side.WorkTree w -> args.addAll(List.of("ls-files", "-z", "--full-name", "--cached", "--others", "--exclude-standard"));
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
