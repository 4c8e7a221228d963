package org.gittheta.cli.plumbing;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.gittheta.cli.Git;
import org.gittheta.cli.SkipSmudge;
import org.gittheta.cli.StaleTemps;
import org.gittheta.cli.setup.Hooks;
import org.gittheta.convert.StatCache;
import org.gittheta.filter.FilterProcessServer;
import org.gittheta.filter.PipeCapacity;
import org.gittheta.filter.ThetaFilter;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.text.Printable;
import picocli.CommandLine.Command;

@Command(
        name = "filter-process",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = "Git's long-running clean/smudge filter (git runs this; see 'git theta install').")
public final class FilterProcessCommand implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Hooks.installMissing(cwd); // a clone made with only a global install still gets its pre-push hook
        // settings are checked per file: a bad one is answered with that file's error status, not a dead process
        try (ThetaRepository repo = Git.repository(cwd)) {
            if (SkipSmudge.requested()) repo.skipSmudge();
            repo.removeStaleTempFiles(StaleTemps::cutoff); // left by adds that were killed
            // raw descriptors: System.out must carry nothing but protocol, and buffering is ours (the reader's: it
            // reads the descriptor into native memory, and a tensor's bytes go from there to the tensor's memory)
            PipeCapacity.enlarge(0); // Git's content in and (a smudge) out: a gigabyte each way
            PipeCapacity.enlarge(1);
            var in = new FileInputStream(FileDescriptor.in);
            var out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
            Consumer<String> stderr = line -> System.err.println("git-theta: " + Printable.escape(line));
            new FilterProcessServer(in, out, new ThetaFilter(repo, stderr), stderr).serve();
            String statsFile = System.getenv("GIT_THETA_CLEAN_STATS");
            if (statsFile != null && !statsFile.isEmpty()) appendCounts(Path.of(statsFile), repo.cleanCounts());
        }
        return 0;
    }

    /** One line per filter process: how many cleans the stat cache answered, and how many were done in full. */
    private static void appendCounts(Path file, StatCache.Counts counts) throws IOException {
        Files.writeString(
                file,
                "cached " + counts.cached() + " full " + counts.full() + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
