package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.cli.Git;
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
        if (patterns.isEmpty()) {
            System.out.println("Listing tracked patterns");
            for (Attributes.Tracked t : Attributes.tracked(Git.dirs(Path.of("").toAbsolutePath()))) {
                System.out.println("    " + t.pattern() + " (" + t.file() + ")");
            }
            return 0;
        }
        Path file = Attributes.file();
        List<String> lines = Attributes.read(file);
        boolean changed = false;
        for (String p : patterns) {
            String line = Attributes.line(p);
            if (!lines.contains(line)) {
                lines.add(line);
                changed = true;
            }
        }
        if (changed) Attributes.write(file, lines);
        return 0;
    }
}
