package org.gittheta.cli;

import java.nio.file.Path;

/** Where the {@code git-theta} script is, for the commands git is told to run. */
public final class Launcher {
    private Launcher() {}

    public static Path path() {
        String p = System.getProperty("gittheta.launcher");
        if (p == null) throw new UserException("run git-theta through bin/git-theta (gittheta.launcher is not set)");
        return Path.of(p).toAbsolutePath();
    }

    /** The launcher as a shell word: git runs drivers through the shell. */
    public static String shellWord() {
        return "'" + path().toString().replace("'", "'\\''") + "'";
    }
}
