package org.gittheta.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.gittheta.cli.merge.MergeDriverCommand;
import org.gittheta.cli.plumbing.FilterProcessCommand;
import org.gittheta.cli.plumbing.HookCommand;

/**
 * The commands git starts on every add, checkout, status, merge and push, and {@code --version}, run without picocli:
 * picocli builds its model of a command by reflection over annotations, and its classes (class-file version 49)
 * cannot be stored in the JVM's AOT cache, which made it most of these commands' start-up (see "Start-up" in
 * docs/performance.md). Only the plain forms git uses are taken here; any other form (an option, help, a missing
 * argument) goes through picocli, which explains it.
 */
final class FastPath {
    private FastPath() {}

    static Optional<Callable<Integer>> command(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return Optional.of(() -> {
                System.out.println(BuildVersion.current().describe());
                return 0;
            });
        }
        if (args.length == 1 && args[0].equals("filter-process")) return Optional.of(new FilterProcessCommand());
        if (args.length == 5
                && args[0].equals("merge-driver")
                && Arrays.stream(args, 1, 5).noneMatch(a -> a.startsWith("-"))) {
            return Optional.of(MergeDriverCommand.of(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), args[4]));
        }
        // the pre-push hook script's call: hook pre-push <remote name> <remote URL>
        if (args.length == 4
                && args[0].equals("hook")
                && args[1].equals("pre-push")
                && Arrays.stream(args, 2, 4).noneMatch(a -> a.startsWith("-"))) {
            return Optional.of(HookCommand.of(args[1], List.of(args[2], args[3])));
        }
        return Optional.empty();
    }
}
