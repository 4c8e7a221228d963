package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.store.AtomicFile;

/**
 * The repository's {@code .gitattributes} files, where tracking patterns live; track and untrack write the
 * top-level one.
 */
final class Attributes {
    /**
     * {@code -text}: the manifest is never given CRLF line endings on checkout ({@code core.autocrlf}, {@code eol}), as
     * git-lfs's line has it. {@code -whitespace}: a safetensors header's padding ends the manifest's skeleton line with
     * spaces, which {@code git diff --check} would report and {@code git apply --whitespace=fix} would strip.
     */
    static final String SUFFIX = " filter=theta diff=theta merge=theta -text -whitespace";

    /** What {@code track} wrote before {@link #SUFFIX}: such a line is rewritten when its pattern is tracked again. */
    private static final String OLD_SUFFIX = " filter=theta diff=theta merge=theta";

    private static final String SPACE = "[[:space:]]";

    private Attributes() {}

    /** A line that sends files matching {@code pattern} through git-theta, and its file (relative to the top). */
    record Tracked(String pattern, String file) {}

    static List<String> read(Path file) throws IOException {
        return Files.exists(file) ? new ArrayList<>(lines(file)) : new ArrayList<>();
    }

    /** The lines of an attributes file; git takes any bytes, but the patterns listed and written here are UTF-8. */
    private static List<String> lines(Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new UserException(file + ": not UTF-8 text, which git-theta reads and writes attributes files in;"
                    + " convert it (e.g. iconv -f latin1 -t utf-8)");
        }
    }

    /** Writes {@code lines} with the file's line ending: CRLF where it has CRLF lines, as git-lfs keeps them. */
    static void write(Path file, List<String> lines) throws IOException {
        boolean crlf =
                Files.exists(file) && new String(Files.readAllBytes(file), StandardCharsets.UTF_8).contains("\r\n");
        String eol = crlf ? "\r\n" : "\n";
        AtomicFile.replace(
                file, (String.join(eol, lines) + (lines.isEmpty() ? "" : eol)).getBytes(StandardCharsets.UTF_8));
    }

    /** A line that sends files matching {@code pattern} through git-theta. */
    static String line(String pattern) {
        return escaped(pattern) + SUFFIX;
    }

    /**
     * The pattern as git reads it back: white space escaped so that the pattern stays one word, and a leading
     * {@code #} escaped (as git-lfs writes it) so that the line is not a comment.
     */
    private static String escaped(String pattern) {
        String oneWord = pattern.replaceAll("\\s", SPACE);
        return oneWord.startsWith("#") ? "\\" + oneWord : oneWord;
    }

    /**
     * A pattern typed in a subdirectory as the top-level file must say it: one with a slash is relative to the directory
     * it is typed in (as git-lfs takes it); one without matches at any depth wherever it is written.
     */
    static String fromTop(Git.Dirs dirs, String pattern) {
        String here = dirs.topLevel()
                .relativize(Path.of("").toAbsolutePath())
                .toString()
                .replace(java.io.File.separatorChar, '/');
        boolean relative = pattern.contains("/") && !pattern.startsWith("/");
        return here.isEmpty() || !relative ? pattern : here + "/" + pattern;
    }

    /** The line an earlier {@code track} wrote for {@code pattern}. */
    static String oldLine(String pattern) {
        return escaped(pattern) + OLD_SUFFIX;
    }

    /** The pattern of a line that sets {@code filter=theta}, as the user wrote it; empty for any other line. */
    static Optional<String> trackedPattern(String line) {
        String stripped = line.strip();
        if (stripped.isEmpty() || stripped.startsWith("#")) return Optional.empty();
        String[] words = stripped.split("\\s+");
        boolean ours = Arrays.stream(words).skip(1).anyMatch("filter=theta"::equals);
        String pattern = words[0].replace(SPACE, " ");
        return ours ? Optional.of(pattern.startsWith("\\#") ? pattern.substring(1) : pattern) : Optional.empty();
    }

    /**
     * Every tracking line of the work tree's {@code .gitattributes} files (those git knows of and those not yet
     * added, top-level first) and of {@code info/attributes}.
     */
    static List<Tracked> tracked(Git.Dirs dirs) throws IOException {
        List<String> files = new ArrayList<>();
        String listed = Git.run(
                dirs.topLevel(),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".gitattributes",
                "*/.gitattributes");
        for (String f : listed.split("\0")) {
            if (!f.isEmpty() && !files.contains(f)) files.add(f);
        }
        files.sort(java.util.Comparator.comparingLong(
                f -> f.chars().filter(c -> c == '/').count()));
        List<Tracked> out = new ArrayList<>();
        for (String f : files) collect(dirs.topLevel().resolve(f), f, out);
        Path info = dirs.commonDir().resolve("info").resolve("attributes");
        collect(info, info.toString(), out);
        return out;
    }

    private static void collect(Path file, String name, List<Tracked> out) throws IOException {
        if (!Files.isRegularFile(file)) return;
        for (String line : lines(file)) {
            trackedPattern(line).ifPresent(p -> out.add(new Tracked(p, name)));
        }
    }

    /**
     * Whether {@code path} (relative to the top) matches {@code t}, as gitattributes matches: a pattern without a
     * slash matches the file name at any depth below its file's directory, one with a slash the path from there.
     */
    static boolean matches(Tracked t, String path) {
        String base = t.file().contains("/") ? t.file().substring(0, t.file().lastIndexOf('/') + 1) : "";
        if (t.file().startsWith("/")) base = ""; // info/attributes applies from the top
        if (!path.startsWith(base)) return false;
        String rel = path.substring(base.length());
        String pattern = t.pattern().startsWith("/") ? t.pattern().substring(1) : t.pattern();
        String glob = pattern.replace("{", "\\{").replace("}", "\\}");
        if (!pattern.contains("/")) {
            rel = rel.substring(rel.lastIndexOf('/') + 1);
        }
        return FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(Path.of(rel));
    }
}
