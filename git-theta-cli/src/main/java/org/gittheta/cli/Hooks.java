package org.gittheta.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.gittheta.store.AtomicFile;

/**
 * Places git-theta's repository hooks (the scripts in the top-level {@code hooks/} directory) into a
 * repository's hooks directory. A hook already there that is not ours is renamed to {@code <name>.local}
 * and called by ours, never overwritten.
 */
final class Hooks {
    /** Only pre-push does work: smudge fetches on demand, so checkout, merge and commit hooks would have nothing to do. */
    static final List<String> NAMES = List.of("pre-push");
    private static final String MARKER = "# git-theta hook";

    private Hooks() {}

    /** Installs or refreshes every hook; returns the hooks directory. */
    static Path install(Path cwd) throws IOException {
        Path dir = hooksDir(cwd);
        for (String name : NAMES) install(dir, name, true);
        return dir;
    }

    /**
     * Installs the hooks that are absent, touching no hook file that exists: what the filter does on its own.
     * Best effort: a hooks directory that cannot be written must not fail a checkout.
     */
    static void installMissing(Path cwd) {
        try {
            Path dir = hooksDir(cwd);
            for (String name : NAMES) install(dir, name, false);
        } catch (IOException | UserException e) {
            System.err.println("git-theta: could not install the pre-push hook (" + e.getMessage() + "); run 'git theta install --local'");
        }
    }

    private static Path hooksDir(Path cwd) throws IOException {
        Path p = Path.of(Git.run(cwd, "rev-parse", "--git-path", "hooks"));
        return p.isAbsolute() ? p : cwd.resolve(p);
    }

    private static void install(Path dir, String name, boolean replace) throws IOException {
        Path hook = dir.resolve(name);
        boolean exists = Files.exists(hook);
        if (exists && !replace) return;
        String script = Files.readString(Launcher.path().getParent().getParent().resolve("hooks").resolve(name))
                .replace("@LAUNCHER@", Launcher.shellWord());
        if (exists && !Files.readString(hook, StandardCharsets.ISO_8859_1).contains(MARKER)) {
            Path local = dir.resolve(name + ".local");
            if (Files.exists(local)) {
                throw new UserException(hook + " is not git-theta's and " + local + " exists too: merge them by hand, then run 'git theta install --local' again");
            }
            Files.move(hook, local);
        }
        AtomicFile.replace(hook, out -> out.write(script.getBytes(StandardCharsets.UTF_8)),
                Optional.of(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
}
