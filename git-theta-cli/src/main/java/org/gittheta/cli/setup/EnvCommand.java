package org.gittheta.cli.setup;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.gittheta.cli.BuildVersion;
import org.gittheta.cli.Git;
import org.gittheta.config.Settings;
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
    private static final Pattern SETTINGS =
            Pattern.compile("^(theta\\.|filter\\.theta\\.|merge\\.theta\\.|lfs\\.url$|remote\\..*\\.lfsurl$)");

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        Path cwd = Path.of("").toAbsolutePath();
        out.println(BuildVersion.current().describe());
        out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ")");
        out.println("launcher: "
                + Optional.ofNullable(System.getProperty("gittheta.launcher")).orElse("(not set)"));
        boolean inRepo = Git.exec(cwd, "rev-parse", "--git-dir").exit() == 0;
        Settings settings;
        if (inRepo) {
            Git.Dirs dirs = Git.dirs(cwd);
            out.println("repository: " + dirs.topLevel());
            try (ThetaRepository repo = Git.repository(cwd)) {
                out.println("store: " + repo.objectsDir());
                out.println("remote: " + remote(repo));
                settings = repo.settings();
            }
        } else {
            out.println("repository: none (not inside a git repository)");
            settings = Git.settings(cwd);
        }
        out.println("config:");
        List<Settings.Entry> shown =
                settings.entries(key -> SETTINGS.matcher(key).find());
        if (shown.isEmpty()) out.println("  (none)");
        for (Settings.Entry e : shown) {
            out.println("  " + e.key() + "=" + Objects.requireNonNullElse(e.value(), "") + "  (" + e.scope() + ")");
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
