package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.gittheta.cli.Git;
import org.gittheta.cli.Launcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "install",
        mixinStandardHelpOptions = true,
        description = {
            "Configure git to run git-theta as the filter and merge driver for tracked checkpoints.",
            "Also places the pre-push hook in the current repository (if any) and, unless --local, the manual pages "
                    + "that 'git theta --help' shows. 'git theta uninstall' undoes it."
        })
public final class InstallCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--local", description = "Configure the current repository only (default: your global git config).")
    boolean local;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        String scope = local ? "--local" : "--global";
        if (local) Git.dirs(cwd);
        for (Map.Entry<String, String> e : Wiring.settings().entrySet()) {
            Git.run(cwd, "config", scope, e.getKey(), e.getValue());
        }
        removePythonGitTheta(cwd, scope);
        // hooks belong to a repository: a global install places them only in the repository it runs in (if any)
        if (local || Git.exec(cwd, "rev-parse", "--git-dir").exit() == 0) Hooks.install(cwd);
        if (!local) {
            installManPages();
            addManFallback(cwd);
        }
        if (!onPath()) {
            System.err.println("git-theta: configured. For 'git theta <command>' to work, put "
                    + Launcher.path().getParent() + " on your PATH, e.g.: export PATH=\""
                    + Launcher.path().getParent() + ":$PATH\"");
        }
        return 0;
    }

    private static void removePythonGitTheta(Path cwd, String scope) throws IOException {
        List<String> removed = new ArrayList<>();
        for (Map.Entry<String, String> e : Wiring.PYTHON_GIT_THETA.entrySet()) {
            if (Git.exec(cwd, "config", scope, "--unset-all", e.getKey(), e.getValue())
                            .exit()
                    == 0) {
                removed.add(e.getKey());
            }
        }
        if (removed.isEmpty()) return;
        Wiring.removeSectionIfEmpty(cwd, scope, "diff.theta");
        Collections.sort(removed);
        System.out.println("git-theta: removed what git-theta (Python) had set in the " + scope.substring(2)
                + " git config: " + String.join(", ", removed));
    }

    /** Best effort: a launcher in a directory the user cannot write still works, only without manual pages. */
    private void installManPages() {
        Path dir = ManPages.dir();
        try {
            ManPages.write(spec.root().commandLine(), dir);
        } catch (IOException e) {
            System.err.println("git-theta: could not place the manual pages in " + dir + " (" + e.getMessage()
                    + "); 'git theta -h' and 'git theta <command> -h' print the help");
        }
    }

    /**
     * Git tries the {@code man.viewer}s in order and uses the first it can run: listed after {@code man} (git's own
     * default), ours runs only where man is not installed.
     */
    private static void addManFallback(Path cwd) throws IOException {
        List<String> viewers = Git.exec(cwd, "config", "--global", "--get-all", "man.viewer")
                .out()
                .lines()
                .toList();
        if (!viewers.contains(ManFallbackCommand.VIEWER)) {
            if (viewers.isEmpty()) Git.run(cwd, "config", "--global", "--add", "man.viewer", "man");
            Git.run(cwd, "config", "--global", "--add", "man.viewer", ManFallbackCommand.VIEWER);
        }
        Git.run(cwd, "config", "--global", Wiring.MAN_FALLBACK_CMD, Launcher.shellWord() + " man-fallback");
    }

    private static boolean onPath() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "git-theta"))) return true;
        }
        return false;
    }
}
