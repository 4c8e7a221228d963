package org.gittheta.cli.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.gittheta.cli.Git;
import org.gittheta.cli.SkipSmudge;
import org.gittheta.cli.UserException;
import org.gittheta.config.Settings;
import org.gittheta.manifest.Manifest;
import org.gittheta.repo.ThetaRepository;

/**
 * Tracked checkpoints of the work tree that git left as manifests, and writing them out: for checkout and pull, and
 * after a merge, whose git runs with smudge skipped so that git never holds a checkpoint.
 */
public final class WorkTreeCheckpoints {
    /** Names, for git's merge driver, the merge whose values it writes ({@link #newMergeId}). */
    public static final String MERGE_ID = "GIT_THETA_MERGE_ID";

    private WorkTreeCheckpoints() {}

    /**
     * Index paths (from the top) under the pathspecs whose filter is git-theta's, each once (an unmerged path is
     * listed once per stage); not those git keeps out of the work tree (tagged S: outside a sparse checkout's cone),
     * which git checkout does not write either.
     */
    static List<String> tracked(Path cwd, List<String> pathspecs) throws IOException {
        // -t turns ls-files' --deduplicate off: an unmerged path's stages are folded here, or it is written once each
        List<String> args = new ArrayList<>(List.of("ls-files", "-t", "-z", "--full-name", "--"));
        args.addAll(pathspecs);
        Set<String> once = new LinkedHashSet<>();
        for (String tagged : split(Git.run(cwd, args.toArray(String[]::new)))) {
            if (!tagged.startsWith("S ")) once.add(tagged.substring(2));
        }
        List<String> indexed = new ArrayList<>(once);
        if (indexed.isEmpty()) return indexed;
        Path top = Git.dirs(cwd).topLevel();
        // on standard input: a repository's paths can outgrow a command line
        byte[] paths = (String.join("\0", indexed) + "\0").getBytes(StandardCharsets.UTF_8);
        List<String> attrs = split(Git.runWithEnv(top, Map.of(), paths, "check-attr", "-z", "--stdin", "filter"));
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
            if (!Files.exists(top.resolve(path)) || holdsManifest(top.resolve(path))) out.add(path);
        }
        return out;
    }

    /** The tracked checkpoints whose working file holds the manifest text. */
    private static Set<String> leftAsManifests(Path top) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String path : tracked(top, List.of())) if (holdsManifest(top.resolve(path))) out.add(path);
        return out;
    }

    private static boolean holdsManifest(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return false;
        try (InputStream in = Files.newInputStream(file)) {
            return Manifest.looksLike(in);
        }
    }

    /** Git commands that update the work tree, run with these environment variables. */
    @FunctionalInterface
    public interface GitStep<T> {
        T run(Map<String, String> env) throws IOException;
    }

    /**
     * An id for a merge whose checkpoints are written here afterwards, under which the merge writes the values it
     * computes ({@link ThetaRepository#merge}); none when they will not be written (smudge skipped).
     */
    public static Optional<String> newMergeId() {
        return SkipSmudge.requested() ? Optional.empty() : Optional.of(ThetaRepository.newMergeId());
    }

    /**
     * Runs the merge {@code step} with smudge skipped ({@code GIT_THETA_SKIP_SMUDGE=1}), so that git never holds a
     * checkpoint in memory, then writes the checkpoints it left as manifests here, quietly, whether it succeeded or
     * not: from the values the merge {@code mergeId} computed where it wrote them ({@code step} runs with
     * {@link #MERGE_ID} set for git's merge driver; the caller removes them). Unless this process was itself asked to
     * skip smudging: then they stay manifests.
     */
    public static <T> T withoutGitHoldingCheckpoints(Path cwd, Optional<String> mergeId, GitStep<T> step)
            throws IOException {
        if (SkipSmudge.requested()) return step.run(Map.of());
        Path top = Git.dirs(cwd).topLevel();
        Set<String> before = leftAsManifests(top);
        Map<String, String> env = new HashMap<>(Map.of(SkipSmudge.VARIABLE, "1"));
        mergeId.ifPresent(id -> env.put(MERGE_ID, id));
        T result;
        try {
            result = step.run(env);
        } catch (IOException | RuntimeException e) {
            try {
                writeLeftAsManifests(cwd, top, before, mergeId);
            } catch (IOException | RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed); // git's failure is the one to report
            }
            throw e;
        }
        writeLeftAsManifests(cwd, top, before, mergeId);
        return result;
    }

    /**
     * Gives the index entries of the tracked checkpoints the stat cache knows unchanged their file's stat
     * ({@link ThetaRepository#refreshIndex}), before a git command that checks the work tree is clean (a merge,
     * {@code git status}): git would otherwise pipe each checkpoint checked out within the index's second, or
     * touched, through the filter again.
     * @param top the work tree's top directory
     */
    public static void refreshIndex(Path top) throws IOException {
        List<String> tracked = tracked(top, List.of());
        if (tracked.isEmpty()) return;
        try (ThetaRepository repo = Git.repository(top)) {
            repo.refreshIndex(tracked);
        }
    }

    /** Removes what the merge {@code mergeId} wrote for its checkout. */
    public static void removeMergedFiles(Path cwd, Optional<String> mergeId) throws IOException {
        if (mergeId.isEmpty()) return;
        try (ThetaRepository repo = Git.repository(cwd)) {
            repo.removeMergedFiles(mergeId.get());
        }
    }

    /** Writes the checkpoints left as manifests that were not manifests {@code before} ({@link #writeLeft}). */
    private static void writeLeftAsManifests(Path cwd, Path top, Set<String> before, Optional<String> mergeId)
            throws IOException {
        Set<String> left = leftAsManifests(top);
        left.removeAll(before);
        writeLeft(cwd, top, left, mergeId);
    }

    /**
     * Writes the checkpoints of these paths, each from the manifest its file holds as a skipped smudge left it, as
     * git's smudge would have: from the index, its entry refreshed, where the file holds the index's manifest or is
     * missing; in place otherwise, the index left alone. That is an unmerged path, whose file is the side git chose,
     * or a local change git put back in manifest form: git merge does, from its stash, when it stops for local
     * changes, and so does git stash pop with smudge skipped. Written from the index, that change would be lost.
     */
    private static void writeLeft(Path cwd, Path top, Collection<String> paths, Optional<String> mergeId)
            throws IOException {
        writeLeft(cwd, top, paths, List.of(), mergeId);
    }

    /** {@link #writeLeft}, and the checkpoints of {@code rewritten} from the index. */
    private static void writeLeft(
            Path cwd, Path top, Collection<String> paths, Collection<String> rewritten, Optional<String> mergeId)
            throws IOException {
        if (paths.isEmpty() && rewritten.isEmpty()) return;
        Set<String> unmerged = unmerged(top);
        List<String> deletedUnmerged = paths.stream()
                .filter(p -> unmerged.contains(p) && !Files.exists(top.resolve(p), LinkOption.NOFOLLOW_LINKS))
                .toList();
        // no file and no one version in the index to write it from: git checkout -- <path> refuses it too
        if (!deletedUnmerged.isEmpty()) throw unmergedRefused(deletedUnmerged, "not written");
        List<String> fromIndex = new ArrayList<>(rewritten);
        try (ThetaRepository repo = Git.repository(cwd)) {
            for (String path : paths) {
                boolean missing = !Files.exists(top.resolve(path), LinkOption.NOFOLLOW_LINKS);
                if (missing || !unmerged.contains(path) && repo.holdsIndexManifest(path)) fromIndex.add(path);
                else repo.checkoutInPlace(path);
            }
            writeFromIndex(repo, top, fromIndex, mergeId);
        }
    }

    /**
     * Writes the checkpoints of these paths: those left as manifests or missing as {@link #writeNotCheckedOut} does,
     * and the others again from the index, their entries refreshed. A checkpoint changed since it was staged is never
     * overwritten (git-lfs's checkout does not either): then nothing is written and the error names every such path.
     */
    static void write(Path cwd, Path top, List<String> paths) throws IOException {
        if (paths.isEmpty()) return;
        // without the filter git compares a checkpoint's bytes with its manifest: every one would look changed
        requireFilter(Git.settings(top));
        List<String> left = notCheckedOut(top, paths);
        List<String> present =
                paths.stream().filter(p -> !left.contains(p)).distinct().toList();
        if (!present.isEmpty()) {
            Set<String> unmerged = unmerged(top);
            List<String> conflicted =
                    present.stream().filter(unmerged::contains).toList();
            // as git checkout refuses such a path: the index has no one version of it to write
            if (!conflicted.isEmpty()) throw unmergedRefused(conflicted, "not overwritten");
            List<String> args = new ArrayList<>(List.of("--literal-pathspecs", "diff", "--name-only", "-z", "--"));
            args.addAll(present);
            List<String> changed = split(Git.run(top, args.toArray(String[]::new)));
            if (!changed.isEmpty()) {
                throw new UserException(String.join(", ", changed) + ": changed since staged, not overwritten"
                        + " ('git checkout -- <path>' discards the change, 'git add' stages it)");
            }
        }
        writeLeft(cwd, top, left, present, Optional.empty());
        checkedOut(paths);
    }

    private static UserException unmergedRefused(List<String> paths, String outcome) {
        return new UserException(String.join(", ", paths) + ": unmerged, " + outcome + " (take a side with"
                + " 'git checkout --ours|--theirs -- <path>', or 'git add' the file as resolved)");
    }

    /** The paths with conflict stages in the index. */
    private static Set<String> unmerged(Path top) throws IOException {
        Set<String> unmerged = new HashSet<>();
        for (String entry : split(Git.run(top, "ls-files", "-u", "-z", "--full-name")))
            unmerged.add(entry.substring(entry.indexOf('\t') + 1));
        return unmerged;
    }

    /** Writes the checkpoints that are manifests or missing in the work tree ({@link #notCheckedOut}), as git would. */
    static void writeNotCheckedOut(Path cwd, Path top, List<String> paths) throws IOException {
        if (paths.isEmpty()) return;
        writeLeft(cwd, top, paths, Optional.empty());
        checkedOut(paths);
    }

    private static void checkedOut(List<String> paths) {
        System.err.println("git-theta: checked out " + paths.size() + " checkpoint(s)");
    }

    private static void writeFromIndex(ThetaRepository repo, Path top, List<String> paths, Optional<String> mergeId)
            throws IOException {
        if (paths.isEmpty()) return;
        // without the filter, the refresh below would stage the checkpoint's bytes in place of its manifest
        requireFilter(repo.settings());
        List<String> unrefreshed = repo.checkout(paths, mergeId);
        if (!unrefreshed.isEmpty()) {
            // the stat cache answers the clean this re-runs, so the values are not decoded again
            List<String> refresh = new ArrayList<>(List.of("update-index", "-q", "--"));
            refresh.addAll(unrefreshed);
            Git.run(top, refresh.toArray(String[]::new));
        }
    }

    static void requireFilter(Settings settings) {
        if (settings.get("filter.theta.process").filter(v -> !v.isBlank()).isEmpty()) {
            throw new UserException("git-theta's filter is not configured here; run 'git theta install' first");
        }
    }

    static List<String> split(String nulSeparated) {
        return nulSeparated.isEmpty() ? List.of() : List.of(nulSeparated.split("\0"));
    }
}
