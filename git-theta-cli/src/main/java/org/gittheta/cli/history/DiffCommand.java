package org.gittheta.cli.history;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.gittheta.cli.Json;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.UserException;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.diff.ParamDiff;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.Version;
import org.gittheta.text.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "diff",
        mixinStandardHelpOptions = true,
        description = {
            "Per-parameter differences of tracked checkpoints, like git diff.",
            "No revision: working tree vs index; one: working tree vs it; two (or A..B): between them; A...B: "
                    + "from the merge base of A and B to B; --cached: index vs HEAD (or vs the revision given)."
        })
public final class DiffCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "<rev>|<path>",
            arity = "0..*",
            description = "Up to two revisions, then paths (after -- if ambiguous).")
    List<String> args = new ArrayList<>();

    @Option(
            names = {"--cached", "--staged"},
            description = "Compare the index with HEAD (or with the revision given).")
    boolean cached;

    @Option(names = "--json", description = "Machine-readable output (see docs/history.md).")
    boolean json;

    @Option(names = "--stat", description = "One line per checkpoint, like git diff --stat.")
    boolean stat;

    @Option(names = "--all", description = "List unchanged parameters too.")
    boolean all;

    @Option(
            names = {"-1", "--base"},
            description = "During a conflict, compare the working tree with the base of each unmerged checkpoint.")
    boolean base;

    @Option(
            names = {"-2", "--ours"},
            description = "During a conflict, compare the working tree with our side of each unmerged checkpoint.")
    boolean ours;

    @Option(
            names = {"-3", "--theirs"},
            description = "During a conflict, compare the working tree with their side of each unmerged checkpoint.")
    boolean theirs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (HistoryRepo repo = HistoryRepo.open()) {
            HistoryRepo.RevsAndPaths split =
                    repo.split(args, spec.commandLine().getParseResult().originalArgs());
            List<String> revs = new ArrayList<>();
            for (String r : split.revs()) {
                if (r.contains("..")) revs.addAll(repo.ends(r));
                else revs.add(r);
            }
            if (revs.size() > 2 || cached && revs.size() > 1) {
                throw new UserException("too many revisions: " + String.join(" ", revs));
            }
            int stage = stage();
            if (stage != 0 && (cached || !revs.isEmpty())) {
                throw new UserException("--base, --ours and --theirs compare the working tree with a conflict's side:"
                        + " no revision or --cached with them");
            }
            List<String> paths = split.paths();
            List<Version> sides = sides(revs, repo.isRevision("HEAD"));
            Version before = sides.get(0);
            Version after = sides.get(1);
            Set<String> unmerged =
                    sides.stream().anyMatch(v -> v instanceof Version.Index) ? repo.unmergedPaths() : Set.of();
            List<FileDiff> diffs = new ArrayList<>();
            List<String> unresolved = new ArrayList<>();
            HistoryRepo.Targets targets = repo.targets(sides, paths, true);
            repo.repo.fetchBlobs(sides, targets.files());
            Map<String, String> renamedFrom = renames(repo, targets.files(), before, after, unmerged);
            for (String path : targets.files()) {
                if (renamedFrom.containsValue(path)) continue; // listed under its new name
                if (renamedFrom.containsKey(path)) {
                    String was = renamedFrom.get(path);
                    CheckpointDiff d = repo.repo.diff(before, was, after, path, name -> true);
                    diffs.add(new FileDiff(path, before, d, false, Optional.of(was)));
                } else if (!unmerged.contains(path)) {
                    diff(repo, path, before, after).ifPresent(diffs::add);
                } else if (stage != 0) {
                    diff(repo, path, new Version.Index(stage), after).ifPresent(diffs::add);
                } else {
                    unresolved.add(path);
                }
            }
            for (String index : targets.indexes()) {
                CheckpointDiff d = repo.repo.shardedDiff(before, after, index, name -> true);
                if (!d.changedOrMoved().isEmpty()) diffs.add(new FileDiff(index, before, d, true, Optional.empty()));
            }
            diffs.sort(java.util.Comparator.comparing(FileDiff::path));
            print(diffs, unresolved, before, after);
        }
        return 0;
    }

    /**
     * @param sharded     whether {@code path} is a sharded checkpoint's index (parameters carry their shard)
     * @param renamedFrom the path the checkpoint had before, where it was renamed
     */
    record FileDiff(String path, Version before, CheckpointDiff diff, boolean sharded, Optional<String> renamedFrom) {
        /** As git names a renamed file: {@code old => new}. */
        String shown() {
            String path = Printable.escape(this.path);
            return renamedFrom.map(was -> Printable.escape(was) + " => " + path).orElse(path);
        }
    }

    /**
     * Renames between two stored versions, new path to old, as git finds them: a checkpoint gone from one path and one
     * new at another whose parameters are at least half the same (by name and values), the most alike paired first.
     */
    private static Map<String, String> renames(
            HistoryRepo repo, List<String> files, Version before, Version after, Set<String> unmerged)
            throws IOException {
        if (after instanceof Version.WorkTree) return Map.of();
        Map<String, Manifest> gone = new LinkedHashMap<>();
        Map<String, Manifest> added = new LinkedHashMap<>();
        for (String path : files) {
            if (unmerged.contains(path)) continue;
            // which side holds the path is the blobs' to say: only those on one side are read as manifests
            boolean a = repo.repo.blobId(before, path).isPresent();
            boolean b = repo.repo.blobId(after, path).isPresent();
            if (a && !b) gone.put(path, repo.repo.manifest(before, path).orElseThrow());
            if (!a && b) added.put(path, repo.repo.manifest(after, path).orElseThrow());
        }
        Map<String, String> renamedFrom = new HashMap<>();
        for (var n : added.entrySet()) {
            String best = null;
            double bestShare = 0.5;
            for (var o : gone.entrySet()) {
                double share = sameShare(o.getValue(), n.getValue());
                if (share >= bestShare && !renamedFrom.containsValue(o.getKey())) {
                    best = o.getKey();
                    bestShare = share;
                }
            }
            if (best != null) renamedFrom.put(n.getKey(), best);
        }
        return renamedFrom;
    }

    /** The share of parameters (of the larger) that both hold with the same values. */
    private static double sameShare(Manifest a, Manifest b) {
        Map<String, ParamEntry> byName = a.byName();
        long same = b.params().stream()
                .filter(p ->
                        byName.containsKey(p.name()) && byName.get(p.name()).sameValues(p))
                .count();
        int larger = Math.max(a.params().size(), b.params().size());
        return larger == 0 ? 0 : (double) same / larger;
    }

    /** The index stage that --base, --ours or --theirs name; 0 for none. */
    private int stage() {
        if ((base ? 1 : 0) + (ours ? 1 : 0) + (theirs ? 1 : 0) > 1) {
            throw new UserException("--base, --ours and --theirs: give one");
        }
        return base ? 1 : ours ? 2 : theirs ? 3 : 0;
    }

    /** @param born whether HEAD names a commit: before the first, {@code --cached} compares with nothing, as git does */
    private List<Version> sides(List<String> revs, boolean born) {
        if (cached && revs.isEmpty() && !born) return List.of(new Version.None(), new Version.Index());
        if (cached) return List.of(new Version.Rev(revs.isEmpty() ? "HEAD" : revs.getFirst()), new Version.Index());
        return switch (revs.size()) {
            case 0 -> List.of(new Version.Index(), new Version.WorkTree());
            case 1 -> List.of(new Version.Rev(revs.getFirst()), new Version.WorkTree());
            default -> List.of(new Version.Rev(revs.get(0)), new Version.Rev(revs.get(1)));
        };
    }

    private static Optional<FileDiff> diff(HistoryRepo repo, String path, Version before, Version after)
            throws IOException {
        // two stored versions with the same manifest blob: nothing to look at
        var a = repo.repo.blobId(before, path);
        if (!(after instanceof Version.WorkTree) && a.isPresent() && Objects.equals(a, repo.repo.blobId(after, path))) {
            return Optional.empty();
        }
        CheckpointDiff d = repo.repo.diff(before, after, path, name -> true);
        return d.fileChanged() ? Optional.of(new FileDiff(path, before, d, false, Optional.empty())) : Optional.empty();
    }

    /** @param unmerged checkpoints in conflict: the index holds their sides, not one version to compare */
    private void print(List<FileDiff> diffs, List<String> unmerged, Version before, Version after) throws IOException {
        PrintStream out = System.out;
        if (json) {
            try (JsonGenerator g = Json.to(out)) {
                g.writeStartObject();
                g.writeStringField("before", before.toString());
                g.writeStringField("after", after.toString());
                g.writeArrayFieldStart("unmerged");
                for (String path : unmerged) g.writeString(path);
                g.writeEndArray();
                g.writeArrayFieldStart("files");
                for (FileDiff f : diffs) {
                    g.writeStartObject();
                    g.writeStringField("path", f.path());
                    if (f.renamedFrom().isPresent())
                        g.writeStringField("renamedFrom", f.renamedFrom().get());
                    g.writeStringField("before", f.before().toString());
                    g.writeBooleanField("sharded", f.sharded());
                    HistoryOutput.writeSummary(g, f.diff());
                    g.writeArrayFieldStart("params");
                    for (ParamDiff p : shown(f.diff())) HistoryOutput.writeParam(g, p);
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            out.println();
            return;
        }
        if (stat && diffs.isEmpty() && unmerged.isEmpty()) return; // as git diff --stat: nothing for no change
        if (stat) {
            List<String> paths = diffs.stream().map(FileDiff::shown).toList();
            int width = paths.stream().mapToInt(String::length).max().orElse(0);
            for (int i = 0; i < diffs.size(); i++) {
                FileDiff f = diffs.get(i);
                String path = paths.get(i);
                // the working tree has stored nothing yet
                String stored = after instanceof Version.WorkTree
                        ? ""
                        : ", " + Sizes.human(f.diff().storedBytes()) + " stored";
                out.println(" " + path + " ".repeat(width - path.length()) + " | " + HistoryOutput.summary(f.diff())
                        + stored);
            }
            for (String path : unmerged) out.println(" " + Printable.escape(path) + " | unmerged");
            out.println(" " + diffs.size() + (diffs.size() == 1 ? " checkpoint" : " checkpoints") + " changed");
            return;
        }
        // git's own line for a path it cannot compare with the index
        for (String path : unmerged) out.println("* Unmerged path " + Printable.escape(path));
        for (FileDiff f : diffs) {
            out.println("diff --theta " + f.shown() + " (" + f.before() + " → " + after + ")");
            List<ParamDiff> shown = shown(f.diff());
            if (!shown.isEmpty()) HistoryOutput.table(shown, f.sharded()).forEach(out::println);
            out.println(HistoryOutput.summary(f.diff()));
        }
    }

    /** Changed parameters and those that moved to another shard; every one with --all. */
    private List<ParamDiff> shown(CheckpointDiff d) {
        return all ? d.params() : d.changedOrMoved();
    }
}
