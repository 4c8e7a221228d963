package org.gittheta.cli.setup;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import org.gittheta.cli.BuildVersion;
import org.gittheta.cli.Git;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.transfer.ObjectRemote;
import picocli.CommandLine.Command;

@Command(
        name = "env",
        mixinStandardHelpOptions = true,
        description = {
            "Show what git-theta uses: its version, Java, the launcher, and in a repository the object "
                    + "store, the remote objects go to and come from, and the git-theta settings git gives it.",
            "Settings shown: theta.*, lfs.url, remote.<name>.lfsurl, and the filter.theta.* and merge.theta.* that "
                    + "'git theta install' writes."
        })
public final class EnvCommand implements java.util.concurrent.Callable<Integer> {
    private static final String SETTINGS =
            "^(theta\\.|filter\\.theta\\.|merge\\.theta\\.|lfs\\.url$|remote\\..*\\.lfsurl$)";

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        Path cwd = Path.of("").toAbsolutePath();
        out.println(BuildVersion.current().describe());
        out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ")");
        out.println("launcher: "
                + Optional.ofNullable(System.getProperty("gittheta.launcher")).orElse("(not set)"));
        boolean inRepo = Git.exec(cwd, "rev-parse", "--git-dir").exit() == 0;
        if (inRepo) {
            Git.Dirs dirs = Git.dirs(cwd);
            out.println("repository: " + dirs.topLevel());
            try (ThetaRepository repo = Git.repository(cwd)) {
                out.println("store: " + repo.objectsDir());
                out.println("remote: " + remote(repo));
            }
        } else {
            out.println("repository: none (not inside a git repository)");
        }
        out.println("config:");
        Git.Result settings = Git.exec(cwd, "config", "--show-scope", "--get-regexp", SETTINGS);
        if (settings.out().isBlank()) out.println("  (none)");
        for (String line : settings.out().lines().toList()) {
            // "<scope>\t<key> <value>"
            String[] scopeAndSetting = line.split("\t", 2);
            String[] keyAndValue = scopeAndSetting[scopeAndSetting.length - 1].split(" ", 2);
            out.println("  " + keyAndValue[0] + "=" + (keyAndValue.length > 1 ? keyAndValue[1] : "")
                    + (scopeAndSetting.length > 1 ? "  (" + scopeAndSetting[0] + ")" : ""));
        }
        return 0;
    }

    /** The remote fetch, pull and push would use without arguments, and where its objects are. */
    private static String remote(ThetaRepository repo) throws IOException {
        Optional<String> name = repo.defaultRemote();
        if (name.isEmpty()) return "none (no origin, no theta.remote)";
        Optional<ObjectRemote> remote = repo.remote(name.get());
        return name.get() + " -> " + remote.map(ObjectRemote::describe).orElse("(no URL, and no lfs.url)");
    }
}
