package org.gittheta.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = "The parameters of one version of a tracked checkpoint: name, dtype, shape, elements, storage and bytes.")
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<rev>:<path>", description = "A revision and a path from the top of the repository, e.g. HEAD:model.safetensors.")
    String spec;

    @Option(names = "--json", description = "Machine-readable output (see docs/history.md).")
    boolean json;

    @Override public Integer call() throws IOException {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new UserException("expected <rev>:<path>, got '" + spec + "'");
        String rev = colon == 0 ? "HEAD" : spec.substring(0, colon);
        String path = spec.substring(colon + 1);
        try (HistoryRepo repo = HistoryRepo.open()) {
            repo.commit(rev);
            Manifest m = repo.repo.manifest(new Version.Rev(rev), path)
                    .orElseThrow(() -> new UserException("path '" + path + "' does not exist in '" + rev + "'"));
            long numel = m.params().stream().mapToLong(p -> p.shape().numel()).sum();
            long raw = m.params().stream().mapToLong(ParamEntry::byteSize).sum();
            long stored = m.params().stream().mapToLong(ParamEntry::storedBytes).sum();
            if (json) {
                try (JsonGenerator g = HistoryOutput.json(System.out)) {
                    g.writeStartObject();
                    g.writeStringField("rev", rev);
                    g.writeStringField("path", path);
                    g.writeStringField("format", m.format());
                    g.writeNumberField("fileSize", m.fileSize());
                    g.writeNumberField("parameters", m.params().size());
                    g.writeNumberField("numel", numel);
                    g.writeNumberField("rawBytes", raw);
                    g.writeNumberField("storedBytes", stored);
                    g.writeArrayFieldStart("params");
                    for (ParamEntry p : m.params()) {
                        g.writeStartObject();
                        g.writeStringField("name", p.name());
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
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"parameter", "dtype", "shape", "numel", "update", "raw", "stored"});
            for (ParamEntry p : m.params()) {
                rows.add(new String[] {p.name(), p.dtype().toString(), p.shape().toString(), HistoryOutput.count(p.shape().numel()),
                    p.update(), HistoryOutput.bytes(p.byteSize()), HistoryOutput.bytes(p.storedBytes())});
            }
            HistoryOutput.align(rows, 3, 3).forEach(System.out::println);
            System.out.println(m.params().size() + " parameters, " + HistoryOutput.count(numel) + " elements, "
                    + HistoryOutput.bytes(raw) + " raw, " + HistoryOutput.bytes(stored) + " in this version's objects ("
                    + (m.format().equals(OpaqueFormat.INSTANCE.name()) ? "stored whole" : m.format()) + ", "
                    + HistoryOutput.bytes(m.fileSize()) + " file)");
        }
        return 0;
    }
}
