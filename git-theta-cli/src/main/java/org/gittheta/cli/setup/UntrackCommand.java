package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "untrack",
        mixinStandardHelpOptions = true,
        description = {
            "Stop tracking files matching the patterns (removes their line from the top-level " + ".gitattributes).",
            "A pattern that is not tracked, or a path tracked only through another pattern, is an error: "
                    + "'git theta track' lists the patterns."
        })
public final class UntrackCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<pattern>", description = "patterns as 'git theta track' lists them")
    List<String> patterns;

    @Override
    public Integer call() throws IOException {
        Git.Dirs dirs = Git.dirs(Path.of("").toAbsolutePath()).requireWorkTree("git theta untrack");
        Path file = dirs.topLevel().resolve(".gitattributes");
        List<String> lines = Attributes.read(file);
        int before = lines.size();
        int failed = 0;
        for (String typed : patterns) {
            String p = Attributes.fromTop(dirs, typed);
            boolean removed = lines.removeIf(
                    l -> Attributes.trackedPattern(l).filter(p::equals).isPresent());
            if (!removed) {
                System.err.println("git-theta: " + notTracked(dirs, p));
                failed++;
            }
        }
        if (lines.size() != before) Attributes.write(file, lines);
        return failed == 0 ? 0 : 1;
    }

    /** Why {@code pattern} cannot be untracked: nothing tracks it, or only another pattern does. */
    private static String notTracked(Git.Dirs dirs, String pattern) throws IOException {
        List<Attributes.Tracked> tracked = Attributes.tracked(dirs);
        Optional<Attributes.Tracked> elsewhere =
                tracked.stream().filter(t -> t.pattern().equals(pattern)).findFirst();
        if (elsewhere.isPresent()) {
            return "'" + pattern + "' is tracked in " + elsewhere.get().file()
                    + ", which untrack does not edit (only the top-level .gitattributes): remove its line there";
        }
        String filter = Git.run(dirs.topLevel(), "check-attr", "filter", "--", pattern);
        if (!filter.endsWith(": filter: theta")) return "'" + pattern + "' is not tracked";
        // the last matching line wins, as in git
        Optional<Attributes.Tracked> glob = tracked.reversed().stream()
                .filter(t -> Attributes.matches(t, pattern))
                .findFirst();
        String notOwn = "'" + pattern + "' is not tracked by its own line; ";
        return notOwn
                + glob.map(t -> "it matches '" + t.pattern() + "' in " + t.file() + ": untrack that pattern")
                        .orElse("a pattern that 'git theta track' lists covers it: untrack that pattern");
    }
}
