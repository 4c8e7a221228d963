package org.gittheta.cli.history;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gittheta.cli.Json;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.Table;
import org.gittheta.cli.UserException;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.format.ShardIndex;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.ShardedModel;
import org.gittheta.repo.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = {
            "The parameters of one version of a tracked checkpoint: name, dtype, shape, elements, storage and bytes.",
            "A sharded checkpoint's index (*.index.json), or its folder: the whole model, each parameter's shard."
        })
public final class ShowCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "<rev>:<path>",
            description = "A revision and a path from the top of the repository, e.g. HEAD:model.safetensors, as git"
                    + " reads them: a path starting with ./ or ../ is from the current directory, :<path> is the"
                    + " version staged in the index, and during a conflict :1:<path>, :2:<path> and :3:<path> are"
                    + " the base, ours and theirs.")
    String spec;

    @Option(names = "--json", description = "Machine-readable output (see docs/history.md).")
    boolean json;

    /** {@code :<n>:<path>}: stage n of the index, as git reads it. */
    private static final Pattern STAGED = Pattern.compile(":([0-3]):(.*)", Pattern.DOTALL);

    /** A parameter as shown: its shard is empty for a checkpoint that is one file. */
    private record Row(Optional<String> shard, ParamEntry p) {}

    @Override
    public Integer call() throws IOException {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new UserException("expected <rev>:<path>, got '" + spec + "'");
        Matcher staged = STAGED.matcher(spec);
        Version version = staged.matches()
                ? new Version.Index(Integer.parseInt(staged.group(1)))
                : colon == 0 ? new Version.Index() : new Version.Rev(spec.substring(0, colon));
        try (HistoryRepo repo = HistoryRepo.open()) {
            String typed = staged.matches() ? staged.group(2) : spec.substring(colon + 1);
            String path = typed.equals(".") || typed.equals("..") || typed.startsWith("./") || typed.startsWith("../")
                    ? repo.repoPath(typed)
                    : typed;
            if (version instanceof Version.Rev r) repo.commit(r.rev());
            String rev = version.toString();
            Optional<String> index = indexOf(repo, version, path);
            if (index.isPresent()) {
                ShardedModel model = repo.repo.shardedModel(version, index.get());
                List<Row> rows = new ArrayList<>();
                model.params().values().forEach(p -> rows.add(new Row(Optional.of(p.shard()), p.entry())));
                print(
                        rev,
                        index.get(),
                        "sharded " + formats(model.shards()),
                        model.fileSize(),
                        rows,
                        Optional.of(model.shards()));
                return 0;
            }
            Manifest m;
            try {
                m = repo.repo
                        .manifest(version, path)
                        .orElseThrow(() -> new UserException("path '" + path + "' does not exist in '" + rev + "'"));
            } catch (ManifestException e) {
                // not a manifest because git-theta never tracked the file, rather than one committed before tracking
                if (repo.tracked(List.of(path)).isEmpty()) throw HistoryRepo.notTracked(path);
                throw e;
            }
            List<Row> rows =
                    m.params().stream().map(p -> new Row(Optional.empty(), p)).toList();
            String format = m.format().equals(OpaqueFormat.INSTANCE.name()) ? "stored whole" : m.format();
            print(rev, path, format, m.fileSize(), rows, Optional.empty());
        }
        return 0;
    }

    /** The index when {@code path} is one, or a folder holding exactly one sharded checkpoint. */
    private Optional<String> indexOf(HistoryRepo repo, Version version, String path) throws IOException {
        if (ShardIndex.isIndexPath(path)) return Optional.of(path);
        if (repo.repo.blobId(version, path).isPresent()) return Optional.empty(); // a file: shown as one checkpoint
        // "" is the top folder, never unmerged (and git refuses it as a pathspec)
        if (version instanceof Version.Index i && i.stage() == 0 && !path.isEmpty() && repo.unmerged(path)) {
            throw new UserException("'" + path + "' is unmerged: the index holds the conflict's versions, not one of"
                    + " its own (resolve it, or show a side: :1:" + path + " the base, :2:" + path + " ours, :3:"
                    + path + " theirs)");
        }
        // a file staged, but not at the stage named (no conflict, or one without a base): as git show refuses it
        if (version instanceof Version.Index i
                && i.stage() != 0
                && (repo.repo.blobId(new Version.Index(), path).isPresent() || repo.unmerged(path))) {
            throw new UserException("path '" + path + "' is in the index, but not at stage " + i.stage());
        }
        HistoryRepo.Targets t = repo.targets(List.of(version), List.of(path), true);
        if (t.indexes().size() == 1 && t.files().isEmpty())
            return Optional.of(t.indexes().getFirst());
        List<String> inside = new ArrayList<>(t.indexes());
        inside.addAll(t.files());
        throw new UserException("'" + spec + "' is a folder; "
                + (inside.isEmpty()
                        ? "it holds no checkpoint tracked by git-theta"
                        : "name one checkpoint in it: " + String.join(", ", inside)));
    }

    /** {@code safetensors}, or every format the shards have, e.g. {@code safetensors+torch-zip}. */
    private static String formats(SortedMap<String, Manifest> shards) {
        return String.join(
                "+", shards.values().stream().map(Manifest::format).distinct().toList());
    }

    private void print(
            String rev,
            String path,
            String format,
            long fileSize,
            List<Row> params,
            Optional<SortedMap<String, Manifest>> shards)
            throws IOException {
        long numel = params.stream().mapToLong(r -> r.p().shape().numel()).sum();
        long raw = params.stream().mapToLong(r -> r.p().byteSize()).sum();
        long stored = params.stream().mapToLong(r -> r.p().storedBytes()).sum();
        if (json) {
            try (JsonGenerator g = Json.to(System.out)) {
                g.writeStartObject();
                g.writeStringField("rev", rev);
                g.writeStringField("path", path);
                g.writeStringField("format", format);
                g.writeNumberField("fileSize", fileSize);
                g.writeNumberField("parameters", params.size());
                g.writeNumberField("numel", numel);
                g.writeNumberField("rawBytes", raw);
                g.writeNumberField("storedBytes", stored);
                if (shards.isPresent()) {
                    g.writeArrayFieldStart("shards");
                    for (var s : shards.get().entrySet()) {
                        g.writeStartObject();
                        g.writeStringField("shard", s.getKey());
                        g.writeStringField("format", s.getValue().format());
                        g.writeNumberField("fileSize", s.getValue().fileSize());
                        g.writeNumberField("parameters", s.getValue().params().size());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                g.writeArrayFieldStart("params");
                for (Row r : params) {
                    ParamEntry p = r.p();
                    g.writeStartObject();
                    g.writeStringField("name", p.name());
                    if (r.shard().isPresent())
                        g.writeStringField("shard", r.shard().get());
                    g.writeStringField("dtype", p.dtype().toString());
                    g.writeArrayFieldStart("shape");
                    for (long d : p.shape().dims()) g.writeNumber(d);
                    g.writeEndArray();
                    g.writeNumberField("numel", p.shape().numel());
                    g.writeStringField("update", p.update());
                    g.writeNumberField("rawBytes", p.byteSize());
                    g.writeNumberField("storedBytes", p.storedBytes());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            System.out.println();
            return;
        }
        boolean sharded = shards.isPresent();
        List<String[]> rows = new ArrayList<>();
        rows.add(cells(sharded, "parameter", "shard", "dtype", "shape", "numel", "update", "raw", "stored"));
        for (Row r : params) {
            ParamEntry p = r.p();
            rows.add(cells(
                    sharded,
                    p.name(),
                    r.shard().orElse(""),
                    p.dtype().toString(),
                    p.shape().toString(),
                    Sizes.count(p.shape().numel()),
                    p.update(),
                    Sizes.human(p.byteSize()),
                    Sizes.human(p.storedBytes())));
        }
        int shift = sharded ? 1 : 0;
        Table.align(rows, 3 + shift, 3 + shift).forEach(System.out::println);
        System.out.println(params.size() + " " + Sizes.plural(params.size(), "parameter")
                + shards.map(s -> " in " + s.size() + " " + Sizes.plural(s.size(), "shard"))
                        .orElse("")
                + ", " + Sizes.count(numel) + " " + Sizes.plural(numel, "element") + ", " + Sizes.human(raw) + " raw, "
                + Sizes.human(stored) + " in this version's objects (" + format + ", "
                + Sizes.human(fileSize) + (sharded ? " in files)" : " file)"));
    }

    /** The row, without the shard (second) cell when the checkpoint is one file. */
    private static String[] cells(boolean sharded, String... cells) {
        if (sharded) return cells;
        List<String> row = new ArrayList<>(List.of(cells));
        row.remove(1);
        return row.toArray(String[]::new);
    }
}
