package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The filter side of Git's long-running filter process protocol, version 2 (gitattributes(5),
 * "Long Running Filter Process"): handshake, then one clean or smudge request after another until
 * Git closes the input. A failure of one file is answered with {@code status=error} and the next
 * request is served; only a broken transport or protocol ends {@link #serve()}.
 */
public final class FilterProcessServer {
    private static final List<String> CAPABILITIES = List.of("capability=clean", "capability=smudge");

    private final PktLineReader reader;
    private final PktLineWriter writer;
    private final FilterHandler handler;
    private final Consumer<String> errorLine;

    /**
     * @param errorLine receives one line per failed file (for example to print to stderr); the
     *     protocol owns {@code out}, so nothing else may be written there
     */
    public FilterProcessServer(InputStream in, OutputStream out, FilterHandler handler, Consumer<String> errorLine) {
        this.reader = new PktLineReader(Objects.requireNonNull(in, "in"));
        this.writer = new PktLineWriter(Objects.requireNonNull(out, "out"));
        this.handler = Objects.requireNonNull(handler, "handler");
        this.errorLine = Objects.requireNonNull(errorLine, "errorLine");
    }

    /** Runs the handshake, then serves requests until Git closes the input. */
    public void serve() throws IOException {
        handshake();
        while (!reader.atEnd()) serveRequest();
    }

    private void handshake() throws IOException {
        String welcome = reader.readText();
        if (!"git-filter-client".equals(welcome)) {
            throw new IOException(
                    "filter protocol: expected welcome 'git-filter-client', received " + describe(welcome));
        }
        List<String> versions = reader.readTextList();
        if (!versions.contains("version=2")) {
            throw new IOException(
                    "filter protocol: client offers " + versions + ", but this filter speaks only version=2");
        }
        writer.writeText("git-filter-server");
        writer.writeText("version=2");
        writer.flush();
        List<String> offered = reader.readTextList();
        // Never "delay": every request is answered before the next one is read.
        for (String capability : CAPABILITIES) {
            if (offered.contains(capability)) writer.writeText(capability);
        }
        writer.flush();
    }

    private void serveRequest() throws IOException {
        Map<String, String> request = keyValues(reader.readTextList());
        String command = request.getOrDefault("command", "");
        String pathname = request.getOrDefault("pathname", "");
        PacketInputStream content = reader.contentPackets();
        Step step = switch (command) {
            case "clean" -> handler::clean;
            case "smudge" -> handler::smudge;
            default -> null;
        };
        if (step == null) {
            errorLine.accept(oneLine("unknown filter command '" + command + "' for " + pathname));
            content.drain();
            writer.writeText("status=error");
            writer.flush();
            return;
        }
        Response response = new Response(writer, content);
        try {
            run(step, command, pathname, content, response);
        } finally {
            response.release();
        }
    }

    private void run(Step step, String command, String pathname, PacketInputStream content, Response response)
            throws IOException {
        try {
            step.run(pathname, content, response);
        } catch (FilterException e) {
            fail(content, response, Objects.requireNonNullElse(e.getMessage(), pathname + ": " + command + " failed"));
            return;
        } catch (IOException | RuntimeException e) {
            fail(content, response, pathname + ": " + e.getClass().getName() + ": " + e.getMessage());
            return;
        }
        content.drain();
        response.succeed();
    }

    /**
     * Reports first, so the cause is not lost if draining then finds the transport broken (a
     * handler's read error may really have been the framing's, and that one ends the session).
     */
    private void fail(PacketInputStream content, Response response, String message) throws IOException {
        errorLine.accept(oneLine(message));
        content.drain();
        response.fail();
    }

    @FunctionalInterface
    private interface Step {
        void run(String pathname, InputStream content, OutputStream out) throws IOException;
    }

    private static Map<String, String> keyValues(List<String> lines) {
        Map<String, String> map = new HashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq > 0) map.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
        }
        return map;
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\R+", " ").strip();
    }

    private static String describe(String text) {
        return text == null ? "a flush packet" : "'" + text + "'";
    }
}
