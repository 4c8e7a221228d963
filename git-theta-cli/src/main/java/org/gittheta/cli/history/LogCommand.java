package org.gittheta.cli.history;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
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
import org.gittheta.text.NameGlob;
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
            description = "Show at most N commits (-N too, as in git log).")
    Integer maxCount;

    @Option(
            names = "--follow",
            description = "Continue beyond renames of the checkpoint, as git log --follow (a file, not a sharded"
                    + " model's index).")
    boolean follow;

    @Option(names = "--json", description = "Machine-readable output (see docs/history.md).")
    boolean json;

    @Spec
    CommandSpec spec;

    /** @param renamedFrom the checkpoint's path before the commit, where the commit renamed it */
    record Entry(String commit, String date, String subject, CheckpointDiff diff, Optional<String> renamedFrom) {}

    /** A commit as git log printed it (hash, parents, date, subject) and the checkpoint's path before and after it. */
    private record Logged(String[] fields, String before, String after) {}

    @Override
    public Integer call() throws IOException {
        try (HistoryRepo repo = HistoryRepo.open()) {
            List<String> original = spec.commandLine().getParseResult().originalArgs();
            HistoryRepo.RevsAndPaths split = repo.split(withoutCounts(original), original);
            if (split.paths().size() > 1) {
                throw new UserException("name one checkpoint, not " + String.join(" ", split.paths()));
            }
            List<String> revs = split.revs().isEmpty() ? List.of("HEAD") : split.revs();
            String tip = tip(revs);
            repo.commit(tip);
            Version held = new Version.Rev(tip);
            HistoryRepo.Targets target;
            try {
                target = repo.targets(List.of(held), split.paths(), true);
            } catch (UserException notAtTip) {
                // a checkpoint deleted since: git log lists its history, so it is read where it last was
                Optional<Version> last = split.paths().size() == 1
                        ? lastHeld(repo, revs, split.paths().getFirst())
                        : Optional.empty();
                if (last.isEmpty()) throw notAtTip;
                try {
                    target = repo.targets(List.of(last.get()), split.paths(), true);
                } catch (UserException notThereEither) { // a folder without checkpoints: named as it is at the tip
                    throw notAtTip;
                }
                held = last.get();
            }
            boolean sharded = target.files().isEmpty() && target.indexes().size() == 1;
            if (!sharded && target.files().size() + target.indexes().size() != 1) {
                throw new UserException(
                        target.files().isEmpty() && target.indexes().isEmpty()
                                ? "no tracked checkpoint at " + tip
                                : "several tracked checkpoints at " + tip + ": name one of "
                                        + String.join(", ", concat(target.files(), target.indexes())));
            }
            String file = sharded ? target.indexes().getFirst() : target.files().getFirst();
            if (follow && sharded) throw new UserException("--follow: name a checkpoint file, not a sharded model");
            Predicate<String> include = param == null ? n -> true : glob(param);
            List<String> log = new ArrayList<>(
                    List.of("--literal-pathspecs", "log", "-z", "--format=%H%x1f%P%x1f%ad%x1f%s", "--date=short"));
            // with --param, -n counts the commits listed, those where a matching parameter changed: git's would count
            // every commit that touched the file
            if (maxCount != null && param == null) log.add("-n" + maxCount);
            if (follow) log.addAll(List.of("--follow", "--name-status"));
            log.addAll(revs);
            log.addAll(List.of("--", file));
            if (sharded) log.addAll(shardPaths(repo, held, file));
            List<String> paths = new ArrayList<>(log.subList(log.indexOf("--") + 1, log.size()));
            String out = Git.run(repo.dirs.topLevel(), log.toArray(String[]::new));
            // a range without commits (ft..main once merged, -n 0) lists nothing, as git log does
            List<Logged> commits = out.isEmpty() ? List.of() : logged(out, file);
            List<Version> versions = new ArrayList<>();
            for (Logged c : commits) {
                versions.add(new Version.Rev(c.fields()[0]));
                if (!c.fields()[1].isBlank())
                    versions.add(new Version.Rev(c.fields()[1].split(" ")[0]));
                if (!paths.contains(c.before())) paths.add(c.before());
            }
            repo.repo.fetchBlobs(versions, paths);
            List<Entry> entries = new ArrayList<>();
            Optional<String> end = Optional.empty();
            for (Logged c : commits) {
                if (maxCount != null && entries.size() >= maxCount) break;
                String[] f = c.fields();
                String commit = f[0];
                String was = c.before();
                String is = c.after();
                String parent = f[1].isBlank() ? null : f[1].split(" ")[0];
                Version before = parent == null ? new Version.None() : new Version.Rev(parent);
                Version after = new Version.Rev(commit);
                // a commit that touched shard files before the index existed is not the sharded model's
                if (sharded
                        && repo.repo.shardIndex(after, file).isEmpty()
                        && (parent == null || repo.repo.shardIndex(before, file).isEmpty())) continue;
                // history from before the checkpoint was tracked has no manifests to compare: it ends here
                boolean asIs = !sharded && repo.repo.storedAsIs(after, is);
                boolean parentAsIs = !sharded && parent != null && repo.repo.storedAsIs(before, was);
                if (asIs || parentAsIs && repo.repo.blobId(after, is).isEmpty()) { // the file as is, or its deletion
                    end = Optional.of(untracked(asIs ? is : was, asIs ? commit : parent, "the log ends there"));
                    break;
                }
                if (parentAsIs) before = new Version.None(); // the first tracked version
                CheckpointDiff d = sharded
                        ? repo.repo.shardedDiff(before, after, file, include)
                        : repo.repo.diff(before, was, after, is, include);
                Optional<String> renamedFrom = was.equals(is) ? Optional.empty() : Optional.of(was);
                if (param == null || !d.changedOrMoved().isEmpty())
                    entries.add(new Entry(commit, f[2], f[3], d, renamedFrom));
                if (parentAsIs) {
                    end = Optional.of(untracked(
                            was,
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

    /**
     * The arguments without git log's {@code -<n>} ({@code -1}, the same as {@code -n 1}) before {@code --}, which
     * sets {@link #maxCount}.
     */
    private List<String> withoutCounts(List<String> original) {
        int dd = original.indexOf("--");
        int paths = dd < 0 ? 0 : original.size() - dd - 1; // the last arguments, after --
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i < args.size() - paths && a.matches("-[0-9]+")) maxCount = Integer.valueOf(a.substring(1));
            else rest.add(a);
        }
        return rest;
    }

    /**
     * The commits of git log's output, {@code file}'s path before and after each: with --follow, as git's
     * --name-status says it (a rename names both), else {@code file} throughout.
     */
    private List<Logged> logged(String out, String file) {
        // each commit: its fields, then with --name-status "\n<status>", the path, and a rename's new path
        String[] t = out.split("\0");
        List<Logged> commits = new ArrayList<>();
        for (int i = 0; i < t.length; ) {
            String[] fields = t[i++].strip().split("\u001f", 4);
            String before = file;
            String after = file;
            if (follow && i < t.length && t[i].startsWith("\n")) {
                boolean renamed = t[i].strip().startsWith("R");
                before = t[i + 1];
                after = renamed ? t[i + 2] : before;
                i += renamed ? 3 : 2;
            }
            commits.add(new Logged(fields, before, after));
        }
        return commits;
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

    /**
     * The version of the last commit of {@code revs} that touched {@code path} where it still is: before the commit
     * when that deleted it. Empty if no commit touched it.
     */
    private static Optional<Version> lastHeld(HistoryRepo repo, List<String> revs, String path) throws IOException {
        List<String> log = new ArrayList<>(List.of("--literal-pathspecs", "log", "-1", "--format=%H %P"));
        log.addAll(revs);
        log.addAll(List.of("--", path));
        String[] last = Git.run(repo.dirs.topLevel(), log.toArray(String[]::new))
                .strip()
                .split(" ");
        if (last[0].isEmpty()) return Optional.empty();
        Version commit = new Version.Rev(last[0]);
        boolean deleted = repo.repo.blobId(commit, path).isEmpty() && last.length > 1;
        return Optional.of(deleted ? new Version.Rev(last[1]) : commit);
    }

    /**
     * The shard files the index names in {@code version} (the tip, or where a model deleted since last was): commits
     * that touched only a shard belong to the model's history too.
     */
    private static List<String> shardPaths(HistoryRepo repo, Version version, String index) throws IOException {
        ShardIndex i = repo.repo.shardIndex(version, index).orElseThrow();
        return i.shards().stream().map(i::shardPath).toList();
    }

    /** Glob over parameter names, as merge rules take it: {@code *} any characters (dots included), {@code ?} one. */
    private static Predicate<String> glob(String pattern) {
        Pattern p = NameGlob.of(pattern);
        return name -> p.matcher(name).matches();
    }

    private void printHuman(List<Entry> entries) {
        for (Entry e : entries) {
            System.out.println(abbrev(e.commit()) + " " + e.date() + " " + e.subject());
            e.renamedFrom().ifPresent(was -> System.out.println("    renamed from " + Printable.escape(was)));
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
                if (e.renamedFrom().isPresent())
                    g.writeStringField("renamedFrom", e.renamedFrom().get());
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
