package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.gittheta.cli.Git;
import org.gittheta.cli.Launcher;

/** What 'git theta install' writes into git's configuration and 'git theta uninstall' removes again. */
final class Wiring {
    /** The git setting that runs git-theta's help where man is not installed. */
    static final String MAN_FALLBACK_CMD = "man." + ManFallbackCommand.VIEWER + ".cmd";

    /**
     * What git-theta (Python)'s install writes that ours does not, with the value it writes (a regular expression):
     * its {@code diff.theta.command} makes git diff of every tracked checkpoint run a program that takes our manifests
     * for its own, or that is gone ("cannot run git-theta-diff"), and its clean and smudge commands are never run
     * beside our filter-process. Install removes them; a user's own settings there stay.
     */
    static final Map<String, String> PYTHON_GIT_THETA = Map.of(
            "filter.theta.clean", "^git-theta-filter clean ",
            "filter.theta.smudge", "^git-theta-filter smudge ",
            "diff.theta.command", "^git-theta-diff$");

    private Wiring() {}

    /** Removes {@code section} from the configuration of {@code scope} when no key is left in it. */
    static void removeSectionIfEmpty(Path cwd, String scope, String section) throws IOException {
        String keys = "^" + section.replace(".", "\\.") + "\\.";
        if (Git.exec(cwd, "config", scope, "--get-regexp", keys).exit() == 1) {
            Git.exec(cwd, "config", scope, "--remove-section", section);
        }
    }

    /** The filter and merge driver settings, in the order install writes them. */
    static Map<String, String> settings() {
        String exe = Launcher.shellWord();
        Map<String, String> s = new LinkedHashMap<>();
        s.put("filter.theta.process", exe + " filter-process");
        s.put("filter.theta.required", "true");
        s.put("merge.theta.name", "git-theta parameter merge");
        s.put("merge.theta.driver", exe + " merge-driver %O %A %B %P");
        return s;
    }
}
