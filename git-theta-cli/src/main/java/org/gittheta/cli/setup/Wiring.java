package org.gittheta.cli.setup;

import java.util.LinkedHashMap;
import java.util.Map;
import org.gittheta.cli.Launcher;

/** What 'git theta install' writes into git's configuration and 'git theta uninstall' removes again. */
final class Wiring {
    /** The git setting that runs git-theta's help where man is not installed. */
    static final String MAN_FALLBACK_CMD = "man." + ManFallbackCommand.VIEWER + ".cmd";

    private Wiring() {}

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
