package org.gittheta.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.gittheta.filter.FilterProcessServer;
import org.gittheta.filter.ThetaFilter;
import org.gittheta.repo.ThetaRepository;
import picocli.CommandLine.Command;

@Command(name = "filter-process", hidden = true, mixinStandardHelpOptions = true,
        description = "Git's long-running clean/smudge filter (git runs this; see 'git theta install').")
final class FilterProcessCommand implements java.util.concurrent.Callable<Integer> {
    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Hooks.installMissing(cwd); // a clone made with only a global install still gets its pre-push hook
        // settings are checked per file: a bad one is answered with that file's error status, not a dead process
        try (ThetaRepository repo = Git.repository(cwd)) {
            // raw descriptors: System.out must carry nothing but protocol, and buffering is ours
            var in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16);
            var out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
            Consumer<String> stderr = line -> System.err.println("git-theta: " + line);
            new FilterProcessServer(in, out, new ThetaFilter(repo, stderr), stderr).serve();
        }
        return 0;
    }
}
