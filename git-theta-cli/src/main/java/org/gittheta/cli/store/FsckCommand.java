package org.gittheta.cli.store;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.gittheta.cli.Git;
import org.gittheta.cli.Json;
import org.gittheta.repo.FsckReport;
import org.gittheta.repo.FsckReport.Problem;
import org.gittheta.repo.ObjectUse;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.text.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "fsck",
        mixinStandardHelpOptions = true,
        description = {
            "Verify the parameter objects that refs, reflogs, the index and the stash use: each exists, "
                    + "hashes to its name, has a valid header and checksums, and every parameter version decodes.",
            "Corrupt objects are moved to .git/theta/bad, so that 'git theta fetch' can bring intact copies. "
                    + "Exits 1 if anything is wrong."
        })
public final class FsckCommand implements Callable<Integer> {
    @Option(names = "--all", description = "Also check stored objects that nothing uses.")
    boolean all;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        FsckReport report;
        try (ThetaRepository repo = Git.repository(Path.of("").toAbsolutePath())) {
            report = repo.fsck(all);
        }
        if (json) {
            printJson(report);
        } else {
            for (Problem p : report.problems()) System.out.println(describe(p));
            System.err.println("git-theta: fsck: " + report.objectsChecked() + " objects checked, "
                    + report.paramsDecoded() + " parameter versions decoded, "
                    + (report.ok() ? "no problems" : report.problems().size() + " problems"));
        }
        return report.ok() ? 0 : 1;
    }

    private static String describe(Problem p) {
        String what = p.kind().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        String object = p.object().map(o -> " object " + o).orElse("");
        String use = p.use()
                .map(u -> " (" + (u.param().isEmpty() ? u.where() + ":" + u.path() : u.toString()) + ")")
                .orElse(" (not used by anything)");
        return Printable.escape(what + object + use + ": " + p.detail());
    }

    private static void printJson(FsckReport report) throws IOException {
        try (JsonGenerator g = Json.to(System.out)) {
            g.writeStartObject();
            g.writeBooleanField("ok", report.ok());
            g.writeNumberField("objectsChecked", report.objectsChecked());
            g.writeNumberField("paramsDecoded", report.paramsDecoded());
            g.writeArrayFieldStart("problems");
            for (Problem p : report.problems()) {
                g.writeStartObject();
                g.writeStringField("kind", p.kind().name().toLowerCase(Locale.ROOT));
                writeOptional(g, "object", p.object());
                if (p.use().isPresent()) {
                    ObjectUse u = p.use().get();
                    g.writeStringField("where", u.where());
                    g.writeStringField("path", u.path());
                    if (!u.param().isEmpty()) g.writeStringField("parameter", u.param());
                }
                g.writeStringField("detail", p.detail());
                writeOptional(g, "movedTo", p.movedTo());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        System.out.println();
    }

    private static void writeOptional(JsonGenerator g, String name, Optional<String> value) throws IOException {
        if (value.isPresent()) g.writeStringField(name, value.get());
    }
}
