package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.cli.Git;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "uninstall",
        mixinStandardHelpOptions = true,
        description = {
            "Undo 'git theta install': remove the filter and merge driver settings it wrote, its pre-push "
                    + "hook (putting back a hook it had renamed to pre-push.local) and, unless --local, "
                    + "the manual pages.",
            "Settings, hooks and attributes that are not git-theta's stay; running it twice changes nothing. The hook"
                    + " stays where git-theta is still installed in the other scope, so that git push still uploads."
        })
public final class UninstallCommand implements java.util.concurrent.Callable<Integer> {
    /** The configuration sections install writes into; removed when nothing is left in them. */
    private static final List<String> SECTIONS = List.of("filter.theta", "merge.theta");

    @Option(names = "--local", description = "Undo 'git theta install --local' in this repository (default: global).")
    boolean local;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        String scope = local ? "--local" : "--global";
        if (local) Git.dirs(cwd);
        List<String> removed = new ArrayList<>();
        for (String key : Wiring.settings().keySet()) {
            // exit 5: not set, which is what we want
            if (Git.exec(cwd, "config", scope, "--unset-all", key).exit() == 0) removed.add(key);
        }
        for (String section : SECTIONS) Wiring.removeSectionIfEmpty(cwd, scope, section);
        if (!removed.isEmpty()) {
            String from = scope.substring(2);
            System.out.println("git-theta: removed from " + from + " git config: " + String.join(", ", removed));
        }
        boolean anything = !removed.isEmpty();
        if (local || Git.exec(cwd, "rev-parse", "--git-dir").exit() == 0) {
            // the filter of another scope still stores objects here: without the hook, git push would send commits
            // whose objects never leave this repository
            String still = Git.exec(cwd, "config", "--show-scope", "--get", "filter.theta.process")
                    .out()
                    .strip();
            if (!still.isEmpty()) {
                for (Path hook : Hooks.ours(cwd)) {
                    System.out.println("git-theta: kept the hook " + hook + ": the " + still.split("\t")[0]
                            + " git config still runs git-theta in this repository");
                }
            } else {
                for (Path hook : Hooks.uninstall(cwd)) {
                    System.out.println("git-theta: removed the hook " + hook);
                    anything = true;
                }
            }
        }
        if (!local) {
            removeManFallback(cwd);
            Path dir = ManPages.dir();
            int pages = ManPages.remove(dir);
            deleteEmptyDirectories(dir, 3); // man1, man, share: created by install, gone if nothing else is in them
            if (pages > 0) System.out.println("git-theta: removed " + pages + " manual pages from " + dir);
            anything |= pages > 0;
        }
        if (!anything) {
            System.out.println(
                    "git-theta: nothing to remove: not installed in the " + scope.substring(2) + " git config");
        }
        return 0;
    }

    /** Removes our man viewer, and the {@code man} listed before it if that is all that is left (git's default). */
    private static void removeManFallback(Path cwd) throws IOException {
        Git.exec(cwd, "config", "--global", "--unset-all", Wiring.MAN_FALLBACK_CMD);
        Git.exec(cwd, "config", "--global", "--unset-all", "man.viewer", "^" + ManFallbackCommand.VIEWER + "$");
        List<String> viewers = Git.exec(cwd, "config", "--global", "--get-all", "man.viewer")
                .out()
                .lines()
                .toList();
        if (viewers.equals(List.of("man"))) Git.exec(cwd, "config", "--global", "--unset-all", "man.viewer");
        for (String section : List.of("man", "man." + ManFallbackCommand.VIEWER)) {
            Wiring.removeSectionIfEmpty(cwd, "--global", section);
        }
    }

    private static void deleteEmptyDirectories(Path dir, int levels) throws IOException {
        for (Path d = dir; levels-- > 0 && d != null && Files.isDirectory(d); d = d.getParent()) {
            try (var entries = Files.list(d)) {
                if (entries.findAny().isPresent()) return;
            }
            Files.delete(d);
        }
    }
}
