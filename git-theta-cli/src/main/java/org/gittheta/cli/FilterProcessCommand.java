package org.gittheta.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.gittheta.config.Settings;
import org.gittheta.convert.Cleaner;
import org.gittheta.convert.Smudger;
import org.gittheta.filter.FilterProcessServer;
import org.gittheta.filter.ThetaFilter;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;
import picocli.CommandLine.Command;

@Command(name = "filter-process", mixinStandardHelpOptions = true,
        description = "Git's long-running clean/smudge filter (git runs this; see 'git theta install').")
final class FilterProcessCommand implements java.util.concurrent.Callable<Integer> {
    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Git.Dirs dirs = Git.dirs(cwd);
        Settings settings = Git.settings(cwd);
        Codec codec = settings.codec();
        Hooks.installMissing(cwd); // a clone made with only a global install still gets its pre-push hook
        try (ThetaRepo repo = ThetaRepo.open(dirs.gitDir(), dirs.commonDir())) {
            Progress progress = TerminalProgress.forStderr();
            Cleaner cleaner = new Cleaner(repo.store(), new ParamEncoder(repo.store(), codec, settings.updateOptions()), progress);
            Smudger smudger = new Smudger(repo.store(), new MissingObjects(repo.store(), Remotes.defaultSource(cwd, settings)), progress);
            ThetaFilter filter = new ThetaFilter(repo, cleaner, smudger);
            // raw descriptors: System.out must carry nothing but protocol, and buffering is ours
            var in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16);
            var out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
            new FilterProcessServer(in, out, filter, line -> System.err.println("git-theta: " + line)).serve();
        }
        return 0;
    }
}
