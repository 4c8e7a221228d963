package org.gittheta.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.store.AtomicFile;

/** The repository's top-level {@code .gitattributes}, where tracking patterns live. */
final class Attributes {
    static final String SUFFIX = " filter=theta diff=theta merge=theta";

    private Attributes() {}

    static Path file() throws IOException {
        return Git.dirs(Path.of("").toAbsolutePath()).topLevel().resolve(".gitattributes");
    }

    static List<String> read(Path file) throws IOException {
        return Files.exists(file) ? new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8)) : new ArrayList<>();
    }

    static void write(Path file, List<String> lines) throws IOException {
        AtomicFile.replace(file, (String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
    }

    /** Patterns are written as git reads them: spaces escaped so that a pattern stays one word. */
    static String line(String pattern) {
        return pattern.replace(" ", "[[:space:]]") + SUFFIX;
    }
}
