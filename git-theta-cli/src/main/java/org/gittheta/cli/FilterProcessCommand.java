package org.gittheta.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.gittheta.filter.FilterProcessServer;
import org.gittheta.filter.ThetaFilter;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.store.Codec;
import picocli.CommandLine.Command;

@Command(name = "filter-process", hidden = true, mixinStandardHelpOptions = true,
        description = "Git's long-running clean/smudge filter (git runs this; see 'git theta install').")
final class FilterProcessCommand implements java.util.concurrent.Callable<Integer> {
    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Git.Dirs dirs = Git.dirs(cwd);
        Codec codec = Codec.fromConfig(Git.config(cwd, "theta.codec").orElse("zstd"));
        Hooks.installMissing(cwd); // a clone made with only a global install still gets its pre-push hook
        try (ThetaRepo repo = ThetaRepo.open(dirs.gitDir(), dirs.commonDir())) {
            ThetaFilter filter = new ThetaFilter(repo, codec, AddCommand.updateOptions(cwd), Remotes.defaultSource(cwd),
                    TerminalProgress.forStderr());
            // raw descriptors: System.out must carry nothing but protocol, and buffering is ours
            var in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16);
            var out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
            new FilterProcessServer(in, out, filter, line -> System.err.println("git-theta: " + line)).serve();
        }
        return 0;
    }
}
