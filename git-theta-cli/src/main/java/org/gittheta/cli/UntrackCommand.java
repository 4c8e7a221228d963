package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "untrack", mixinStandardHelpOptions = true,
        description = "Stop tracking files matching the patterns (removes their .gitattributes line).")
final class UntrackCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<pattern>")
    List<String> patterns;

    @Override public Integer call() throws IOException {
        Path file = Attributes.file();
        List<String> lines = Attributes.read(file);
        boolean changed = false;
        for (String p : patterns) changed |= lines.remove(Attributes.line(p));
        if (changed) Attributes.write(file, lines);
        return 0;
    }
}
