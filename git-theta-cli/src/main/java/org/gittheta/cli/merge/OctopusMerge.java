package org.gittheta.cli.merge;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.cli.store.WorkTreeCheckpoints;
import org.gittheta.config.SettingException;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamStrategies;
import org.gittheta.merge.Scope;
import org.gittheta.merge.Slerp;
import org.gittheta.repo.ThetaRepository;

/**
 * Merges HEAD with several revisions in one step and records one merge commit whose parents are HEAD and all of
 * them (as an octopus merge). Git's octopus strategy refuses conflicts and calls no merge driver usefully, so the
 * result tree is computed here: every tracked checkpoint with the N-way engine, other files only when identical or
 * changed by one side. The tree is written through a temporary index; nothing (ref, index, working tree) changes
 * until the commit exists, and then the working tree moves to it as a fast-forward would.
 */
final class OctopusMerge {
    private final Path top;
    private final List<String> configArgs;
    private final PrintStream err;

    /**
     * @param configArgs {@code -c theta.merge.key=value} arguments holding for this merge only
     */
    OctopusMerge(Path top, List<String> configArgs, PrintStream err) {
        this.top = top;
        this.configArgs = List.copyOf(configArgs);
        this.err = err;
    }

    /** One file in a tree. */
    record Blob(String mode, String id) {}

    /**
     * What one merge combines.
     *
     * @param labels  the models' names in reports, in the engine's order (model 0 is "ours")
     * @param trees   each model's files
     * @param base    the base's files
     * @param parents the merge commit's parents, HEAD first
     * @param contents blobs that are not in git (checkpoints given as files), by id
     */
    record Models(
            List<String> labels,
            List<Map<String, Blob>> trees,
            Map<String, Blob> base,
            String baseLabel,
            List<String> parents,
            Map<String, byte[]> contents) {}

    /**
     * How the checkpoints' parameters are merged.
     *
     * @param forCheckpoint the strategies of one checkpoint, given its base (or first model's) manifest
     * @param everywhere    whether a strategy may apply the formula to every parameter (scope all), so that a
     *                      checkpoint changed by one model only still goes through the engine
     * @param description   the strategy as the report and the commit message name it
     */
    record Strategies(Function<Manifest, ParamStrategies> forCheckpoint, boolean everywhere, String description) {}

    /**
     * @param revs        the revisions to merge into HEAD
     * @param base        the merge base; empty: {@code git merge-base --octopus}
     * @param fisherByRev Fisher file per revision as given ({@code HEAD} or a revision name), absolute paths
     * @param dryRun      change nothing: report per parameter what the merge would do, with figures
     * @return the exit status
     */
    int run(
            List<String> revs,
            Optional<String> base,
            Map<String, String> fisherByRev,
            Optional<String> message,
            boolean dryRun,
            boolean json)
            throws IOException {
        requireClean(dryRun);
        try (ThetaRepository repo = Git.repository(top, configArgs)) {
            String head = commit(repo, "HEAD");
            List<String> commits = new ArrayList<>(List.of(head));
            for (String r : revs) commits.add(commit(repo, r));
            List<String> labels = new ArrayList<>(List.of("HEAD"));
            labels.addAll(revs);
            for (int i = 1; i < commits.size(); i++) {
                int first = commits.indexOf(commits.get(i));
                // as git merge takes a commit once: twice, its task vector would count twice
                if (first < i) {
                    throw new UserException("git theta merge: " + labels.get(i) + " is the same commit as "
                            + labels.get(first) + "; name each model once");
                }
            }
            for (String key : fisherByRev.keySet()) {
                if (!labels.contains(key))
                    throw new UserException("--fisher " + key + "=...: " + key + " is not one of the merged revisions");
            }
            String baseCommit = base.isPresent() ? commit(repo, base.get()) : mergeBase(commits);
            List<Map<String, Blob>> trees = new ArrayList<>();
            for (String c : commits) trees.add(tree(c));
            Models models = new Models(labels, trees, tree(baseCommit), baseCommit, commits, Map.of());
            MergeConfig config = mergeConfig(repo);
            if (config.strategy() instanceof Slerp && commits.size() > 2) {
                throw new UserException("git theta merge: slerp merges two models, not " + commits.size());
            }
            boolean everywhere =
                    config.scope() == Scope.ALL || config.rules().stream().anyMatch(r -> r.scope() == Scope.ALL);
            Strategies strategies = new Strategies(
                    m -> config,
                    everywhere,
                    config.strategy().describe() + ", scope " + config.scope().label());
            List<Optional<String>> fishers = labels.stream()
                    .map(l -> Optional.ofNullable(fisherByRev.get(l)))
                    .toList();
            return merge(repo, config, models, strategies, fishers, message, dryRun, json);
        }
    }

    static MergeConfig mergeConfig(ThetaRepository repo) {
        try {
            return repo.settings().mergeConfig();
        } catch (SettingException e) {
            throw new UserException(e.getMessage());
        }
    }

    void requireClean(boolean dryRun) throws IOException {
        if (dryRun) return;
        // as git merge refuses: a merge commit made now would leave the unfinished one's state to the next commit
        Path gitDir = Git.dirs(top).gitDir();
        refuseUnfinished(gitDir, "MERGE_HEAD", "merge");
        refuseUnfinished(gitDir, "CHERRY_PICK_HEAD", "cherry-pick");
        WorkTreeCheckpoints.refreshIndex(top);
        if (!Git.run(top, "status", "--porcelain", "--untracked-files=no").isEmpty()) {
            throw new UserException(
                    "git theta merge: the working tree or index has changes; commit or stash them first");
        }
    }

    private static void refuseUnfinished(Path gitDir, String head, String operation) {
        if (Files.exists(gitDir.resolve(head))) {
            throw new UserException("git theta merge: you have not concluded your " + operation + " (" + head
                    + " exists); commit it or run 'git " + operation + " --abort' first");
        }
    }

    String mergeBase(List<String> commits) throws IOException {
        String[] args = prepend("merge-base", "--octopus", commits);
        Git.Result r = Git.exec(top, args);
        // git merge-base says nothing and exits 1 where there is no common ancestor
        if (r.exit() == 1 && r.out().isBlank() && r.err().isBlank()) {
            throw new UserException("git theta merge: refusing to merge unrelated histories: the revisions have no"
                    + " common ancestor (name a base: --base <rev>, or base_model in a --config)");
        }
        return r.outOrFail(args).strip();
    }

    /** A path's versions to merge with the engine. */
    private record Checkpoint(String path, Optional<Manifest> base, List<Manifest> models, Optional<Blob> first) {}

    /**
     * Computes the merged tree of {@code models} onto HEAD's and records the merge commit (or, with
     * {@code dryRun}, reports). Every checkpoint's strategies are evaluated before anything is merged.
     */
    int merge(
            ThetaRepository repo,
            MergeConfig config,
            Models models,
            Strategies strategies,
            List<Optional<String>> fishers,
            Optional<String> message,
            boolean dryRun,
            boolean json)
            throws IOException {
        String head = models.parents().getFirst();
        Map<String, Blob> headTree = tree(head);
        List<String> labels = models.labels();
        TreeSet<String> paths = new TreeSet<>(models.base().keySet());
        models.trees().forEach(t -> paths.addAll(t.keySet()));
        Map<String, Optional<Blob>> updates = new LinkedHashMap<>();
        List<Checkpoint> checkpoints = new ArrayList<>();
        for (String path : paths) {
            Blob b = models.base().get(path);
            List<Blob> versions = models.trees().stream().map(t -> t.get(path)).toList();
            List<Integer> changers = new ArrayList<>();
            for (int i = 0; i < versions.size(); i++) if (!Objects.equals(versions.get(i), b)) changers.add(i);
            Blob first = changers.isEmpty() ? b : versions.get(changers.getFirst());
            boolean agree = changers.stream().allMatch(i -> Objects.equals(versions.get(i), first));
            Optional<Manifest> baseManifest = b == null ? Optional.empty() : manifest(models, b.id());
            List<Manifest> manifests = agree && !(strategies.everywhere() && !changers.isEmpty())
                    ? null
                    : manifests(models, path, versions, labels, !agree);
            if (b != null && baseManifest.isEmpty()) manifests = null;
            if (manifests == null) {
                if (!agree) {
                    throw new UserException("git theta merge: " + path + " was changed differently on "
                            + String.join(
                                    ", ", changers.stream().map(labels::get).toList())
                            + " and is not a git-theta checkpoint on all of them; " + instead(labels));
                }
                if (!Objects.equals(first, headTree.get(path))) updates.put(path, Optional.ofNullable(first));
                continue;
            }
            Blob mode = headTree.get(path) != null ? headTree.get(path) : first;
            checkpoints.add(new Checkpoint(path, baseManifest, manifests, Optional.ofNullable(mode)));
        }
        Map<String, ParamStrategies> byPath = new LinkedHashMap<>();
        for (Checkpoint c : checkpoints) {
            byPath.put(
                    c.path(),
                    strategies.forCheckpoint().apply(c.base().orElse(c.models().getFirst())));
        }
        DryRunReport dry = new DryRunReport();
        boolean conflicts = false;
        Optional<String> mergeId = dryRun ? Optional.empty() : WorkTreeCheckpoints.newMergeId();
        try {
            for (Checkpoint c : checkpoints) {
                MergeResult result = repo.mergeMany(
                        c.path(),
                        byPath.get(c.path()),
                        config,
                        c.base(),
                        c.models(),
                        labels,
                        fishers,
                        top,
                        dryRun,
                        mergeId);
                if (dryRun) dry.add(c.path(), result);
                else
                    MergeReport.print(
                            err,
                            "git-theta merge " + c.path() + ": strategy " + strategies.description() + ", "
                                    + labels.size() + " models",
                            result);
                if (!result.conflicts().isEmpty() || !dryRun && result.merged().isEmpty()) {
                    conflicts = true;
                    MergeReport.printConflicts(err, c.path(), result);
                    continue;
                }
                if (dryRun) continue;
                String id = Git.runWithEnv(
                                top, Map.of(), result.merged().get().toBytes(), "hash-object", "-w", "--stdin")
                        .strip();
                updates.put(
                        c.path(), Optional.of(new Blob(c.first().map(Blob::mode).orElse("100644"), id)));
            }
            if (dryRun) {
                if (json) dry.printJson(System.out, labels, models.baseLabel());
                else dry.printText(System.out);
                return conflicts ? 1 : 0;
            }
            if (conflicts) {
                err.println("git-theta: merge not made; nothing was changed");
                return 1;
            }
            String tree = writeTree(head, updates);
            List<String> args = new ArrayList<>(List.of("commit-tree", tree));
            for (String c : models.parents()) args.addAll(List.of("-p", c));
            List<String> merged = labels.stream().filter(l -> !l.equals("HEAD")).toList();
            args.addAll(List.of(
                    "-m",
                    message.orElse("Merge " + String.join(", ", merged) + " (git theta merge: "
                            + strategies.description() + ")")));
            String merge = Git.run(top, args.toArray(String[]::new)).strip();
            WorkTreeCheckpoints.withoutGitHoldingCheckpoints(top, mergeId, env -> {
                Git.runWithEnv(top, env, null, "read-tree", "-m", "-u", head, merge);
                return Git.run(top, "update-ref", "-m", "git theta merge", "HEAD", merge, head);
            });
            err.println("git-theta: merge commit " + merge.substring(0, 12) + " with parents "
                    + String.join(
                            ", ",
                            models.parents().stream()
                                    .map(p -> p.substring(0, 12))
                                    .toList()));
            return 0;
        } finally {
            if (mergeId.isPresent()) repo.removeMergedFiles(mergeId.get());
        }
    }

    static String commit(ThetaRepository repo, String rev) throws IOException {
        return repo.resolveCommit(rev)
                .orElseThrow(() -> new UserException("git theta merge: '" + rev + "' is not a commit"));
    }

    private static String[] prepend(String a, String b, List<String> rest) {
        List<String> l = new ArrayList<>(List.of(a, b));
        l.addAll(rest);
        return l.toArray(String[]::new);
    }

    Map<String, Blob> tree(String commit) throws IOException {
        Map<String, Blob> files = new LinkedHashMap<>();
        for (String line :
                Git.run(top, "ls-tree", "-r", "-z", "--full-tree", commit).split("\0")) {
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            String[] words = line.substring(0, tab).split(" ");
            files.put(line.substring(tab + 1), new Blob(words[0], words[2]));
        }
        return files;
    }

    private byte[] blob(Models models, String id) throws IOException {
        byte[] given = models.contents().get(id);
        return given != null ? given : Git.runBytes(top, "cat-file", "blob", id);
    }

    private Optional<Manifest> manifest(Models models, String id) throws IOException {
        return manifest(blob(models, id));
    }

    private static Optional<Manifest> manifest(byte[] bytes) throws IOException {
        return Manifest.looksLike(bytes, bytes.length) ? Optional.of(Manifest.parse(bytes)) : Optional.empty();
    }

    /**
     * Every model's manifest, or null when some version is not a manifest (or, unless {@code deletionConflicts},
     * absent).
     */
    private List<Manifest> manifests(
            Models models, String path, List<Blob> versions, List<String> labels, boolean deletionConflicts)
            throws IOException {
        List<Manifest> out = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            Blob v = versions.get(i);
            if (v == null && !deletionConflicts) return null;
            if (v == null) {
                throw new UserException("git theta merge: " + path + " is deleted on " + labels.get(i)
                        + " and modified elsewhere; " + instead(labels));
            }
            Optional<Manifest> m = manifest(models, v.id());
            if (m.isEmpty()) return null;
            out.add(m.get());
        }
        return out;
    }

    /**
     * What to do about a path git-theta cannot merge: with one revision (a dry run, or --base or --fisher) there
     * are no branches to take one at a time, but git merge records the conflict for the user to resolve.
     */
    private static String instead(List<String> labels) {
        return labels.size() > 2
                ? "merge those branches one at a time"
                : "'git merge " + labels.get(1) + "' records it as a conflict to resolve";
    }

    /** HEAD's tree with the updates applied, written through a temporary index that is always removed. */
    private String writeTree(String head, Map<String, Optional<Blob>> updates) throws IOException {
        Path gitDir = Git.dirs(top).gitDir();
        Path index = Files.createTempFile(gitDir, "theta-merge-index-", "");
        try {
            Files.delete(index); // read-tree writes it anew
            Map<String, String> env = Map.of("GIT_INDEX_FILE", index.toString());
            Git.runWithEnv(top, env, null, "read-tree", head);
            StringBuilder info = new StringBuilder();
            for (Map.Entry<String, Optional<Blob>> u : updates.entrySet()) {
                if (u.getValue().isPresent())
                    info.append(u.getValue().get().mode())
                            .append(' ')
                            .append(u.getValue().get().id());
                else info.append("0 0000000000000000000000000000000000000000");
                info.append('\t').append(u.getKey()).append('\0');
            }
            Git.runWithEnv(
                    top, env, info.toString().getBytes(StandardCharsets.UTF_8), "update-index", "-z", "--index-info");
            return Git.runWithEnv(top, env, null, "write-tree").strip();
        } finally {
            Files.deleteIfExists(index);
        }
    }
}
