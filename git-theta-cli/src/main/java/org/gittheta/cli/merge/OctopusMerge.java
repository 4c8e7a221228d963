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
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.config.SettingException;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamReport;
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
    private record Blob(String mode, String id) {}

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
        if (!dryRun
                && !Git.run(top, "status", "--porcelain", "--untracked-files=no")
                        .isEmpty()) {
            throw new UserException(
                    "git theta merge: the working tree or index has changes; commit or stash them first");
        }
        String head = commit("HEAD");
        List<String> commits = new ArrayList<>(List.of(head));
        for (String r : revs) commits.add(commit(r));
        List<String> labels = new ArrayList<>(List.of("HEAD"));
        labels.addAll(revs);
        for (String key : fisherByRev.keySet()) {
            if (!labels.contains(key))
                throw new UserException("--fisher " + key + "=...: " + key + " is not one of the merged revisions");
        }
        String baseCommit = base.isPresent()
                ? commit(base.get())
                : Git.run(top, prepend("merge-base", "--octopus", commits)).strip();
        Map<String, Blob> baseTree = tree(baseCommit);
        List<Map<String, Blob>> trees = new ArrayList<>();
        for (String c : commits) trees.add(tree(c));
        TreeSet<String> paths = new TreeSet<>(baseTree.keySet());
        trees.forEach(t -> paths.addAll(t.keySet()));

        try (ThetaRepository repo = Git.repository(top, configArgs)) {
            MergeConfig config;
            try {
                config = repo.settings().mergeConfig();
            } catch (SettingException e) {
                throw new UserException(e.getMessage());
            }
            if (config.strategy() instanceof Slerp && commits.size() > 2) {
                throw new UserException("git theta merge: slerp merges two models, not " + commits.size());
            }
            Map<String, Optional<Blob>> updates = new LinkedHashMap<>();
            DryRunReport dry = new DryRunReport();
            boolean conflicts = false;
            for (String path : paths) {
                Blob b = baseTree.get(path);
                List<Blob> versions = trees.stream().map(t -> t.get(path)).toList();
                List<Integer> changers = new ArrayList<>();
                for (int i = 0; i < versions.size(); i++) if (!Objects.equals(versions.get(i), b)) changers.add(i);
                if (changers.isEmpty()) continue;
                Blob first = versions.get(changers.getFirst());
                if (changers.stream().allMatch(i -> Objects.equals(versions.get(i), first))) {
                    if (!Objects.equals(first, versions.getFirst())) updates.put(path, Optional.ofNullable(first));
                    continue;
                }
                List<Manifest> manifests = manifests(path, versions, labels);
                Optional<Manifest> baseManifest = b == null ? Optional.empty() : manifest(blob(b.id()));
                if (b != null && baseManifest.isEmpty()) manifests = null;
                if (manifests == null) {
                    throw new UserException("git theta merge: " + path + " was changed differently on "
                            + String.join(
                                    ", ", changers.stream().map(labels::get).toList())
                            + " and is not a git-theta checkpoint on all of them; merge those branches one at a time");
                }
                List<Optional<String>> fishers = labels.stream()
                        .map(l -> Optional.ofNullable(fisherByRev.get(l)))
                        .toList();
                MergeResult result =
                        repo.mergeMany(path, config, config, baseManifest, manifests, labels, fishers, top, dryRun);
                if (dryRun) dry.add(path, result);
                else
                    MergeReport.print(
                            err,
                            "git-theta merge " + path + ": strategy "
                                    + config.strategy().describe() + ", scope "
                                    + config.scope().label() + ", " + commits.size() + " models",
                            result);
                if (!result.conflicts().isEmpty() || !dryRun && result.merged().isEmpty()) {
                    conflicts = true;
                    err.println("git-theta: CONFLICT (parameters) in " + path + ": "
                            + String.join(
                                    ", ",
                                    result.conflicts().stream()
                                            .map(ParamReport::name)
                                            .toList()));
                    continue;
                }
                if (dryRun) continue;
                String id = Git.runWithEnv(
                                top, Map.of(), result.merged().get().toBytes(), "hash-object", "-w", "--stdin")
                        .strip();
                updates.put(
                        path,
                        Optional.of(new Blob(
                                versions.getFirst() == null
                                        ? first.mode()
                                        : versions.getFirst().mode(),
                                id)));
            }
            if (dryRun) {
                if (json) dry.printJson(System.out, labels, baseCommit);
                else dry.printText(System.out);
                return conflicts ? 1 : 0;
            }
            if (conflicts) {
                err.println("git-theta: merge not made; nothing was changed");
                return 1;
            }
            String tree = writeTree(head, updates);
            List<String> args = new ArrayList<>(List.of("commit-tree", tree));
            for (String c : commits) args.addAll(List.of("-p", c));
            args.addAll(List.of(
                    "-m",
                    message.orElse("Merge " + String.join(", ", revs) + " (git theta merge: "
                            + config.strategy().describe() + ", scope "
                            + config.scope().label() + ")")));
            String merge = Git.run(top, args.toArray(String[]::new)).strip();
            Git.run(top, "read-tree", "-m", "-u", head, merge);
            Git.run(top, "update-ref", "-m", "git theta merge", "HEAD", merge, head);
            err.println(
                    "git-theta: merge commit " + merge.substring(0, 12) + " with parents " + String.join(", ", labels));
            return 0;
        }
    }

    private String commit(String rev) throws IOException {
        Git.Result r = Git.exec(top, "rev-parse", "--verify", "--quiet", rev + "^{commit}");
        if (r.exit() != 0) throw new UserException("git theta merge: '" + rev + "' is not a commit");
        return r.out().strip();
    }

    private static String[] prepend(String a, String b, List<String> rest) {
        List<String> l = new ArrayList<>(List.of(a, b));
        l.addAll(rest);
        return l.toArray(String[]::new);
    }

    private Map<String, Blob> tree(String commit) throws IOException {
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

    private byte[] blob(String id) throws IOException {
        return Git.runBytes(top, "cat-file", "blob", id);
    }

    private static Optional<Manifest> manifest(byte[] bytes) throws IOException {
        return Manifest.looksLike(bytes, bytes.length) ? Optional.of(Manifest.parse(bytes)) : Optional.empty();
    }

    /** Every model's manifest, or null when some version is absent or not a manifest. */
    private List<Manifest> manifests(String path, List<Blob> versions, List<String> labels) throws IOException {
        List<Manifest> out = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            Blob v = versions.get(i);
            if (v == null) {
                throw new UserException("git theta merge: " + path + " is deleted on " + labels.get(i)
                        + " and modified elsewhere; merge those branches one at a time");
            }
            Optional<Manifest> m = manifest(blob(v.id()));
            if (m.isEmpty()) return null;
            out.add(m.get());
        }
        return out;
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
