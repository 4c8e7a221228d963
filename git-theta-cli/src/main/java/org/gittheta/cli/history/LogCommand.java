package org.gittheta.cli.history;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.gittheta.cli.Git;
import org.gittheta.cli.Json;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.UserException;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.diff.DeltaStats;
import org.gittheta.diff.ParamDiff;
import org.gittheta.diff.ParamInfo;
import org.gittheta.format.ShardIndex;
import org.gittheta.repo.Version;
import org.gittheta.text.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "log",
        mixinStandardHelpOptions = true,
        description = "Per commit that touched a checkpoint: how many parameters changed and the largest "
                + "changes; with --param, the history of matching parameters.")
public final class LogCommand implements Callable<Integer> {
    /** How many of a commit's largest changes the human output names. */
    private static final int LARGEST = 3;

    @Parameters(
            paramLabel = "[<revision-range>] [[--] <path>]",
            arity = "0..*",
            description = "Revisions as git log takes them (default HEAD; e.g. main..fine-tune, v1.0, ^main b), then"
                    + " the checkpoint (default: the only tracked checkpoint at the last revision).")
    List<String> args = new ArrayList<>();

    @Option(
            names = "--param",
            paramLabel = "<glob>",
            description = "Only parameters whose name matches, e.g. 'model.layers.*.self_attn.*'.")
    String param;

    @Option(
            names = {"-n", "--max-count"},
            paramLabel = "N",
            description = "Show at most N commits.")
    Integer maxCount;

    @Option(names = "--json", description = "Machine-readable output (see docs/history.md).")
    boolean json;

    @Spec
    CommandSpec spec;

    record Entry(String commit, String date, String subject, CheckpointDiff diff) {}

    @Override
    public Integer call() throws IOException {
        try (HistoryRepo repo = HistoryRepo.open()) {
            HistoryRepo.RevsAndPaths split =
                    repo.split(args, spec.commandLine().getParseResult().originalArgs());
            if (split.paths().size() > 1) {
                throw new UserException("name one checkpoint, not " + String.join(" ", split.paths()));
            }
            List<String> revs = split.revs().isEmpty() ? List.of("HEAD") : split.revs();
            String tip = tip(revs);
            repo.commit(tip);
            HistoryRepo.Targets target = repo.targets(List.of(new Version.Rev(tip)), split.paths(), true);
            boolean sharded = target.files().isEmpty() && target.indexes().size() == 1;
            if (!sharded && target.files().size() + target.indexes().size() != 1) {
                throw new UserException(
                        target.files().isEmpty() && target.indexes().isEmpty()
                                ? "no tracked checkpoint at " + tip
                                : "several tracked checkpoints at " + tip + ": name one of "
                                        + String.join(", ", concat(target.files(), target.indexes())));
            }
            String file = sharded ? target.indexes().getFirst() : target.files().getFirst();
            Predicate<String> include = param == null ? n -> true : glob(param);
            List<String> log = new ArrayList<>(List.of("log", "-z", "--format=%H%x1f%P%x1f%ad%x1f%s", "--date=short"));
            if (maxCount != null) log.add("-n" + maxCount);
            log.addAll(revs);
            log.addAll(List.of("--", file));
            if (sharded) log.addAll(shardPaths(repo, tip, file));
            List<String> paths = log.subList(log.indexOf("--") + 1, log.size());
            String out = Git.run(repo.dirs.topLevel(), log.toArray(String[]::new));
            // a range without commits (ft..main once merged, -n 0) lists nothing, as git log does
            // fields: hash, parents (empty for a root commit), date, subject
            List<String[]> commits = out.isEmpty()
                    ? List.of()
                    : Stream.of(out.split("\0"))
                            .map(r -> r.strip().split("\u001f", 4))
                            .toList();
            List<Version> versions = new ArrayList<>();
            for (String[] f : commits) {
                versions.add(new Version.Rev(f[0]));
                if (!f[1].isBlank()) versions.add(new Version.Rev(f[1].split(" ")[0]));
            }
            repo.repo.fetchBlobs(versions, paths);
            List<Entry> entries = new ArrayList<>();
            Optional<String> end = Optional.empty();
            for (String[] f : commits) {
                String commit = f[0];
                String parent = f[1].isBlank() ? null : f[1].split(" ")[0];
                Version before = parent == null ? new Version.None() : new Version.Rev(parent);
                Version after = new Version.Rev(commit);
                // a commit that touched shard files before the index existed is not the sharded model's
                if (sharded
                        && repo.repo.shardIndex(after, file).isEmpty()
                        && (parent == null || repo.repo.shardIndex(before, file).isEmpty())) continue;
                // history from before the checkpoint was tracked has no manifests to compare: it ends here
                boolean asIs = !sharded && repo.repo.storedAsIs(after, file);
                boolean parentAsIs = !sharded && parent != null && repo.repo.storedAsIs(before, file);
                if (asIs || parentAsIs && repo.repo.blobId(after, file).isEmpty()) { // the file as is, or its deletion
                    end = Optional.of(untracked(file, asIs ? commit : parent, "the log ends there"));
                    break;
                }
                if (parentAsIs) before = new Version.None(); // the first tracked version
                CheckpointDiff d = sharded
                        ? repo.repo.shardedDiff(before, after, file, include)
                        : repo.repo.diff(before, after, file, include);
                if (param == null || !d.changedOrMoved().isEmpty()) entries.add(new Entry(commit, f[2], f[3], d));
                if (parentAsIs) {
                    end = Optional.of(untracked(
                            file,
                            parent,
                            abbrev(commit) + " is listed as its first version (every parameter added), older commits"
                                    + " are not"));
                    break;
                }
            }
            if (json) printJson(file, entries);
            else printHuman(entries);
            end.ifPresent(System.err::println);
        }
        return 0;
    }

    /** The note that ends a history reaching a version of {@code file} committed before it was tracked. */
    private static String untracked(String file, String commit, String consequence) {
        return "git-theta: " + Printable.escape(file) + " in " + abbrev(commit)
                + " is not a git-theta manifest (committed before it was tracked?): " + consequence;
    }

    private static String abbrev(String commit) {
        return commit.substring(0, 10);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * The revision whose checkpoints are listed: the last one that is not excluded ({@code ^A}), the end of a range
     * ({@code A..B}, {@code A...B}), HEAD where it is left out.
     */
    private static String tip(List<String> revs) {
        String last = "HEAD";
        for (String r : revs) {
            if (!r.startsWith("^"))
                last = r.contains("..") ? HistoryRepo.sides(r).get(1) : r;
        }
        return last;
    }

    /** The shard files the tip's index names: commits that touched only a shard belong to the model's history too. */
    private static List<String> shardPaths(HistoryRepo repo, String tip, String index) throws IOException {
        ShardIndex i = repo.repo.shardIndex(new Version.Rev(tip), index).orElseThrow();
        return i.shards().stream().map(i::shardPath).toList();
    }

    /** Glob over parameter names: {@code *} matches any run of characters (dots included), {@code ?} one. */
    private static Predicate<String> glob(String pattern) {
        // the path matcher treats '/' specially; parameter names use '.', so '*' spans the whole name
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern.replace("*", "**"));
        return name -> m.matches(Path.of(name));
    }

    private void printHuman(List<Entry> entries) {
        for (Entry e : entries) {
            System.out.println(abbrev(e.commit()) + " " + e.date() + " " + e.subject());
            List<ParamDiff> changed = e.diff().changedOrMoved();
            if (param != null) {
                for (ParamDiff p : changed) System.out.println("    " + describe(p));
                continue;
            }
            System.out.println("    " + HistoryOutput.summary(e.diff()));
            changed.stream()
                    .sorted(Comparator.comparingDouble(LogCommand::magnitude).reversed())
                    .limit(LARGEST)
                    .forEach(p -> System.out.println("    " + describe(p)));
            if (changed.size() > LARGEST) System.out.println("    ... and " + (changed.size() - LARGEST) + " more");
        }
    }

    /** Sort key for "largest change": the norm of the change, added/removed parameters first. */
    private static double magnitude(ParamDiff p) {
        return p.stats().map(DeltaStats::l2).filter(Double::isFinite).orElse(Double.MAX_VALUE);
    }

    private static String describe(ParamDiff p) {
        String s = p.status().label() + " " + Printable.escape(p.name() + shard(p));
        if (p.stats().isPresent()) {
            DeltaStats d = p.stats().get();
            s += "  ‖Δ‖=" + HistoryOutput.real(d.l2()) + " rel=" + HistoryOutput.real(d.relative()) + " changed="
                    + Sizes.count(d.changed()) + "/" + Sizes.count(d.elements());
        }
        return s;
    }

    /** {@code " [shard]"}, {@code " [old → new]"} for a parameter that moved, nothing outside a sharded model. */
    private static String shard(ParamDiff p) {
        Optional<String> a = p.before().flatMap(ParamInfo::shard);
        Optional<String> b = p.after().flatMap(ParamInfo::shard);
        if (p.moved()) return " [" + a.orElseThrow() + " → " + b.orElseThrow() + "]";
        return b.or(() -> a).map(s -> " [" + s + "]").orElse("");
    }

    private void printJson(String file, List<Entry> entries) throws IOException {
        try (JsonGenerator g = Json.to(System.out)) {
            g.writeStartObject();
            g.writeStringField("path", file);
            if (param != null) g.writeStringField("param", param);
            g.writeArrayFieldStart("commits");
            for (Entry e : entries) {
                g.writeStartObject();
                g.writeStringField("commit", e.commit());
                g.writeStringField("date", e.date());
                g.writeStringField("subject", e.subject());
                HistoryOutput.writeSummary(g, e.diff());
                g.writeArrayFieldStart("params");
                for (ParamDiff p : e.diff().changedOrMoved()) HistoryOutput.writeParam(g, p);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        System.out.println();
    }
}
