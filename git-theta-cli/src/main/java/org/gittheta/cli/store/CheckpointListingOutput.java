package org.gittheta.cli.store;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.cli.Json;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.Table;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.repo.TrackedCheckpoint;
import org.gittheta.repo.TrackedCheckpoint.Presence;
import org.gittheta.text.Printable;

/**
 * The table and JSON of {@code git theta status} and {@code ls-files}; the JSON schema is documented in
 * docs/reliability.md and only grows (new fields), under {@code "schema": 1}.
 */
final class CheckpointListingOutput {
    static final int SCHEMA = 1;

    private CheckpointListingOutput() {}

    /** Which leading columns a listing has besides the common ones. */
    enum Kind {
        STATUS,
        REVISION,
        HISTORY
    }

    static void print(TrackedCheckpoint.Listing listing, Kind kind, boolean json) throws IOException {
        if (listing.remoteProblem().isPresent()) {
            System.err.println(Printable.escape("git-theta: could not ask the remote about objects not stored here ("
                    + listing.remoteProblem().get() + "); they are listed as unknown"));
        }
        if (json) {
            printJson(listing);
        } else if (!listing.checkpoints().isEmpty()) {
            for (String line : table(listing.checkpoints(), kind)) System.out.println(line);
        }
    }

    static List<String> table(List<TrackedCheckpoint> checkpoints, Kind kind) {
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(
                switch (kind) {
                    case STATUS -> List.of("staged", "work tree");
                    case REVISION -> List.<String>of();
                    case HISTORY -> List.of("commit");
                });
        int lead = head.size();
        head.addAll(
                List.of("path", "format", "tensors", "params", "size", "depth", "new", "total", "objects", "storage"));
        rows.add(head.toArray(String[]::new));
        for (TrackedCheckpoint c : checkpoints) {
            List<String> row = new ArrayList<>();
            switch (kind) {
                case STATUS -> {
                    TrackedCheckpoint.Status s = c.status().orElseThrow();
                    row.add(s.staged().label());
                    row.add(s.workTree().label());
                }
                case REVISION -> {}
                case HISTORY -> row.add(c.version().substring(0, 10));
            }
            row.add(Printable.escape(c.path()));
            row.add(format(c));
            row.add(c.tensors() == 0 ? "-" : Integer.toString(c.tensors()));
            row.add(c.parameters() == 0 ? "-" : Sizes.count(c.parameters()));
            row.add(Sizes.human(c.fileSize()));
            row.add(Integer.toString(c.maxChainDepth()));
            row.add(Sizes.human(c.newBytes()));
            row.add(Sizes.human(c.totalBytes()));
            row.add(objects(c.objects()));
            row.add(storage(c));
            rows.add(row.toArray(String[]::new));
        }
        return Table.align(rows, lead + 2, lead + 7);
    }

    private static String format(TrackedCheckpoint c) {
        String f = c.format().equals(OpaqueFormat.INSTANCE.name()) ? "stored whole" : c.format();
        return c.shardOf().isPresent() ? f + " shard" : f;
    }

    /** {@code local}, or the word and how many objects are where: {@code missing (2 of 9)}. */
    private static String objects(Presence p) {
        String word = p.summary();
        int notHere = p.count() - p.local();
        return notHere == 0 ? word : word + " (" + notHere + " of " + p.count() + " not here)";
    }

    /** {@code 2 dense, 1 xor-delta}, and how many are lossy. */
    private static String storage(TrackedCheckpoint c) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : c.storage().entrySet()) parts.add(e.getValue() + " " + e.getKey());
        if (c.lossy() > 0) parts.add(c.lossy() + " lossy");
        return Printable.escape(String.join(", ", parts));
    }

    private static void printJson(TrackedCheckpoint.Listing listing) throws IOException {
        try (JsonGenerator g = Json.to(System.out)) {
            g.writeStartObject();
            g.writeNumberField("schema", SCHEMA);
            g.writeStringField("remote", listing.remote().orElse(null));
            g.writeStringField("remoteProblem", listing.remoteProblem().orElse(null));
            g.writeArrayFieldStart("checkpoints");
            for (TrackedCheckpoint c : listing.checkpoints()) writeCheckpoint(g, c);
            g.writeEndArray();
            g.writeEndObject();
        }
        System.out.println();
    }

    private static void writeCheckpoint(JsonGenerator g, TrackedCheckpoint c) throws IOException {
        g.writeStartObject();
        g.writeStringField("path", c.path());
        g.writeStringField("version", c.version());
        g.writeStringField("shardOf", c.shardOf().orElse(null));
        g.writeStringField("format", c.format());
        g.writeNumberField("tensors", c.tensors());
        g.writeNumberField("parameters", c.parameters());
        g.writeNumberField("fileSize", c.fileSize());
        g.writeObjectFieldStart("storage");
        for (Map.Entry<String, Integer> e : c.storage().entrySet()) g.writeNumberField(e.getKey(), e.getValue());
        g.writeEndObject();
        g.writeNumberField("lossy", c.lossy());
        g.writeNumberField("maxChainDepth", c.maxChainDepth());
        g.writeNumberField("newBytes", c.newBytes());
        g.writeNumberField("totalBytes", c.totalBytes());
        Presence p = c.objects();
        g.writeObjectFieldStart("objects");
        g.writeStringField("state", p.summary());
        g.writeNumberField("count", p.count());
        g.writeNumberField("local", p.local());
        g.writeNumberField("remoteOnly", p.remoteOnly());
        g.writeNumberField("missing", p.missing());
        g.writeNumberField("unknown", p.unknown());
        g.writeEndObject();
        if (c.status().isPresent()) {
            g.writeStringField("staged", c.status().get().staged().label());
            g.writeStringField("workTree", c.status().get().workTree().label());
        }
        g.writeEndObject();
    }
}
