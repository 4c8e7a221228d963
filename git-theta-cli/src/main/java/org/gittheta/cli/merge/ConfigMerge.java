package org.gittheta.cli.merge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.MergekitConfig;
import org.gittheta.merge.MergekitConfigException;
import org.gittheta.merge.MergekitStrategies;
import org.gittheta.repo.ThetaRepository;

/**
 * {@code git theta merge --config merge.yml}: a mergekit configuration run as an N-way merge. Its models and base
 * are revisions (one merge commit with HEAD and the models' commits as parents) or checkpoint files, which stand for
 * the repository's one git-theta checkpoint. HEAD must be the base or one of the models, so that the merge commit's
 * tree is the merged models' and nothing of HEAD's is silently dropped.
 */
final class ConfigMerge {
    private final Path top;
    private final Path cwd;
    private final OctopusMerge octopus;

    ConfigMerge(Path top, Path cwd, PrintStream err) {
        this.top = top;
        this.cwd = cwd;
        this.octopus = new OctopusMerge(top, List.of(), err);
    }

    /** A model or the base: a commit, or a checkpoint file. */
    private record Source(String label, Optional<String> commit, Optional<Path> file) {}

    int run(Path configFile, Optional<String> message, boolean dryRun, boolean json) throws IOException {
        MergekitConfig config;
        if (Files.isDirectory(cwd.resolve(configFile)))
            throw new UserException(configFile + ": a directory, not a mergekit configuration file");
        try {
            config = MergekitConfig.read(cwd.resolve(configFile));
        } catch (MergekitConfigException e) {
            throw new UserException(e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserException(configFile + ": no such file");
        }
        octopus.requireClean(dryRun);
        try (ThetaRepository repo = Git.repository(top)) {
            String head = OctopusMerge.commit(repo, "HEAD");
            List<Source> models = new ArrayList<>();
            for (int i : MergekitStrategies.modelOrder(config))
                models.add(source(repo, config.models().get(i), "models"));
            List<String> commits =
                    models.stream().flatMap(m -> m.commit().stream()).toList();
            Map<String, Source> byCommit = new HashMap<>();
            for (Source m : models) {
                if (m.commit().isEmpty()) continue;
                Source first = byCommit.putIfAbsent(m.commit().get(), m);
                // the same model twice would count its task vector twice
                if (first != null) {
                    throw new UserException("git theta merge --config: models '" + m.label() + "' and '" + first.label()
                            + "' are the same commit; list each model once");
                }
            }
            Source base;
            if (config.baseModel().isPresent())
                base = source(repo, config.baseModel().get(), "base_model");
            else if (commits.isEmpty())
                throw new UserException(configFile + ": models given as files need a base_model");
            else base = new Source("merge base", Optional.of(octopus.mergeBase(commits)), Optional.empty());
            if (base.commit().isPresent() && !base.commit().get().equals(head) && !commits.contains(head)) {
                throw new UserException(
                        "git theta merge --config: HEAD is neither the base_model nor one of the models;"
                                + " check out one of them first");
            }
            List<String> parents = new ArrayList<>(List.of(head));
            for (String c : commits) if (!parents.contains(c)) parents.add(c);

            Map<String, byte[]> contents = new LinkedHashMap<>();
            Map<String, OctopusMerge.Blob> headTree = octopus.tree(head);
            Optional<String> checkpoint = models.stream().anyMatch(m -> m.file().isPresent())
                            || base.file().isPresent()
                    ? Optional.of(onlyCheckpoint(headTree))
                    : Optional.empty();
            Map<String, OctopusMerge.Blob> baseTree =
                    tree(repo, base, base.commit().isPresent() ? null : headTree, checkpoint, contents);
            List<Map<String, OctopusMerge.Blob>> trees = new ArrayList<>();
            for (Source m : models) trees.add(tree(repo, m, baseTree, checkpoint, contents));
            OctopusMerge.Models merged = new OctopusMerge.Models(
                    models.stream().map(Source::label).toList(),
                    trees,
                    baseTree,
                    base.commit().orElse(base.label()),
                    parents,
                    contents);
            OctopusMerge.Strategies strategies = new OctopusMerge.Strategies(
                    manifest -> strategies(config, manifest),
                    true,
                    config.method().mergekitName() + " from " + configFile.getFileName());
            return octopus.merge(
                    repo,
                    OctopusMerge.mergeConfig(repo),
                    merged,
                    strategies,
                    models.stream().map(m -> Optional.<String>empty()).toList(),
                    message,
                    dryRun,
                    json);
        }
    }

    private static MergekitStrategies strategies(MergekitConfig config, Manifest manifest) {
        List<String> names = manifest.params().stream().map(ParamEntry::name).toList();
        try {
            MergekitStrategies s = new MergekitStrategies(config, names);
            s.check(names);
            return s;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private Source source(ThetaRepository repo, String text, String where) throws IOException {
        Optional<String> commit = repo.resolveCommit(text);
        if (commit.isPresent()) return new Source(text, commit, Optional.empty());
        Path file = cwd.resolve(text);
        if (Files.isRegularFile(file)) return new Source(text, Optional.empty(), Optional.of(file));
        throw new UserException(
                "git theta merge --config: " + where + " '" + text + "' is neither a revision nor a checkpoint file");
    }

    /** A commit's files, or {@code like}'s with the checkpoint replaced by the file's manifest. */
    private Map<String, OctopusMerge.Blob> tree(
            ThetaRepository repo,
            Source source,
            Map<String, OctopusMerge.Blob> like,
            Optional<String> checkpoint,
            Map<String, byte[]> contents)
            throws IOException {
        if (source.commit().isPresent()) return octopus.tree(source.commit().get());
        byte[] manifest = clean(repo, source.file().orElseThrow());
        String id = Git.runWithEnv(top, Map.of(), manifest, "hash-object", "--stdin")
                .strip();
        contents.put(id, manifest);
        Map<String, OctopusMerge.Blob> tree = new LinkedHashMap<>(like);
        String path = checkpoint.orElseThrow();
        tree.put(
                path,
                new OctopusMerge.Blob(like.containsKey(path) ? like.get(path).mode() : "100644", id));
        return tree;
    }

    /** The file's manifest; its values go into the parameter store, as {@code git add} would put them. */
    private static byte[] clean(ThetaRepository repo, Path file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = Files.newInputStream(file)) {
            repo.clean(file.toAbsolutePath().toString(), in, out);
        }
        byte[] bytes = out.toByteArray();
        if (!Manifest.looksLike(bytes, bytes.length)
                || Manifest.parse(bytes).format().equals("opaque")) {
            throw new UserException(file + ": not a checkpoint git-theta can split into parameters");
        }
        return bytes;
    }

    /** The one git-theta checkpoint in HEAD's tree, which models given as files stand for. */
    private String onlyCheckpoint(Map<String, OctopusMerge.Blob> headTree) throws IOException {
        StringBuilder paths = new StringBuilder();
        for (String p : headTree.keySet()) paths.append(p).append('\0');
        String[] attrs = Git.runWithEnv(
                        top,
                        Map.of(),
                        paths.toString().getBytes(StandardCharsets.UTF_8),
                        "check-attr",
                        "-z",
                        "--stdin",
                        "filter")
                .split("\0");
        List<String> tracked = new ArrayList<>();
        for (int i = 0; i + 2 < attrs.length; i += 3) if (attrs[i + 2].equals("theta")) tracked.add(attrs[i]);
        if (tracked.size() != 1) {
            throw new UserException("git theta merge --config: a model given as a file stands for the repository's one"
                    + " git-theta checkpoint, but HEAD has " + tracked.size()
                    + (tracked.isEmpty() ? "" : " (" + String.join(", ", tracked) + ")"));
        }
        return tracked.getFirst();
    }
}
