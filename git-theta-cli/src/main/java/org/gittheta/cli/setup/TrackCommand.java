package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "track",
        mixinStandardHelpOptions = true,
        description = {
            "Track files matching the patterns with git-theta: a line for each in the top-level .gitattributes.",
            "Without patterns, list the tracked patterns and the attributes file each is in."
        })
public final class TrackCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "<pattern>", description = "gitattributes patterns, e.g. '*.safetensors'")
    List<String> patterns = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Git.Dirs dirs = Git.dirs(Path.of("").toAbsolutePath()).requireWorkTree("git theta track");
        if (patterns.isEmpty()) {
            System.out.println("Listing tracked patterns");
            for (Attributes.Tracked t : Attributes.tracked(dirs)) {
                System.out.println("    " + t.pattern() + " (" + t.file() + ")");
            }
            return 0;
        }
        for (String typed : patterns) {
            if (typed.startsWith("!")) {
                throw new UserException("'" + typed + "': git ignores negative patterns in .gitattributes;"
                        + " a name that starts with '!' is written '\\" + typed + "'");
            }
        }
        Path file = dirs.topLevel().resolve(".gitattributes");
        List<String> lines = Attributes.read(file);
        List<String> before = List.copyOf(lines);
        for (String typed : patterns) {
            String p = Attributes.fromTop(dirs, typed);
            String line = Attributes.line(p);
            int old = lines.indexOf(Attributes.oldLine(p));
            if (old >= 0) lines.set(old, line);
            if (!lines.contains(line)) lines.add(line);
        }
        if (!lines.equals(before)) Attributes.write(file, lines);
        return 0;
    }
}
