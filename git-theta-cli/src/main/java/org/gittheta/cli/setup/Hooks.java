package org.gittheta.cli.setup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.Launcher;
import org.gittheta.cli.UserException;
import org.gittheta.store.AtomicFile;

/**
 * Places git-theta's repository hooks (the scripts of the top-level {@code hooks/} directory, which the build
 * copies into the jar) into a repository's hooks directory. A hook already there that is not ours is renamed to
 * {@code <name>.local} and called by ours, never overwritten; uninstalling puts it back.
 */
public final class Hooks {
    /** Only pre-push does work: smudge fetches on demand, so checkout, merge and commit hooks would have nothing to do.
     */
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
     * Installs the hooks that are absent, and chains git-lfs's own hook where it took the place ours would take
     * ({@code git lfs install} ran first): what the filter does on its own. Any other existing hook is left alone.
     * Best effort: a hooks directory that cannot be written must not fail a checkout.
     */
    public static void installMissing(Path cwd) {
        try {
            Path dir = hooksDir(cwd);
            for (String name : NAMES) install(dir, name, false);
        } catch (IOException | UserException e) {
            System.err.println("git-theta: could not install the pre-push hook (" + e.getMessage()
                    + "); run 'git theta install --local'");
        }
    }

    /**
     * Removes the hooks that are ours and puts back the one each replaced ({@code <name>.local}); returns the hooks
     * removed. A hook that is not ours stays.
     */
    static List<Path> uninstall(Path cwd) throws IOException {
        Path dir = hooksDir(cwd);
        List<Path> removed = new ArrayList<>();
        for (String name : NAMES) {
            Path hook = dir.resolve(name);
            if (!isOurs(hook)) continue;
            Path local = dir.resolve(name + ".local");
            if (Files.exists(local)) {
                Files.move(local, hook, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.delete(hook);
            }
            removed.add(hook);
        }
        return removed;
    }

    /** The hooks in place that are ours. */
    static List<Path> ours(Path cwd) throws IOException {
        Path dir = hooksDir(cwd);
        List<Path> ours = new ArrayList<>();
        for (String name : NAMES) {
            if (isOurs(dir.resolve(name))) ours.add(dir.resolve(name));
        }
        return ours;
    }

    private static boolean isOurs(Path hook) throws IOException {
        return Files.isRegularFile(hook)
                && Files.readString(hook, StandardCharsets.ISO_8859_1).contains(MARKER);
    }

    /** git-lfs's hook, as {@code git lfs install} writes it: ours runs it, and the objects of both tools go. */
    private static boolean isGitLfs(Path hook, String name) throws IOException {
        if (!Files.isRegularFile(hook)) return false;
        String text = Files.readString(hook, StandardCharsets.ISO_8859_1);
        return !text.contains(MARKER) && text.contains("git lfs " + name + " \"$@\"");
    }

    private static String script(String name) throws IOException {
        try (InputStream in = Hooks.class.getResourceAsStream("hooks/" + name)) {
            if (in == null)
                throw new IOException("hook script '" + name + "' is missing from the git-theta jar: rebuild it");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Path hooksDir(Path cwd) throws IOException {
        Path p = Path.of(Git.run(cwd, "rev-parse", "--git-path", "hooks"));
        return p.isAbsolute() ? p : cwd.resolve(p);
    }

    private static void install(Path dir, String name, boolean replace) throws IOException {
        Path hook = dir.resolve(name);
        boolean exists = Files.exists(hook);
        if (exists && !replace && !(isGitLfs(hook, name) && !Files.exists(dir.resolve(name + ".local")))) return;
        String script = script(name).replace("@LAUNCHER@", Launcher.shellWord());
        if (exists && !isOurs(hook)) {
            Path local = dir.resolve(name + ".local");
            if (Files.exists(local)) {
                throw new UserException(hook + " is not git-theta's and " + local
                        + " exists too: merge them by hand, then run 'git theta install --local' again");
            }
            Files.move(hook, local);
        }
        AtomicFile.replace(
                hook,
                out -> out.write(script.getBytes(StandardCharsets.UTF_8)),
                Optional.of(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
}
