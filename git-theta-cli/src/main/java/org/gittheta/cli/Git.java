package org.gittheta.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.gittheta.config.Settings;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.store.Ordered;

/** Runs the real {@code git} for what only it knows: the repository's directories and the effective configuration. */
final class Git {
    private Git() {}

    /** Output of a git command that must succeed, trailing newline removed. */
    static String run(Path dir, String... args) throws IOException {
        Result r = exec(dir, args);
        if (r.exit != 0) {
            throw new UserException("git " + String.join(" ", args) + " failed: " + r.err.strip());
        }
        return r.out.stripTrailing();
    }

    record Result(int exit, String out, String err) {}

    static Result exec(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir == null ? null : dir.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try {
            // stderr is read beside stdout so that neither pipe can fill up and stall git
            Future<byte[]> err = Ordered.submit(() -> p.getErrorStream().readAllBytes());
            byte[] out = p.getInputStream().readAllBytes();
            return new Result(p.waitFor(), new String(out, StandardCharsets.UTF_8), new String(Ordered.await(err), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git", e);
        }
    }

    /** The whole configuration as git resolves it (files and {@code git -c} settings), read in one call. */
    static Settings settings(Path dir) throws IOException {
        Result r = exec(dir, "config", "-z", "--list", "--show-scope");
        // exit 1 with no output: nothing is configured anywhere
        if (r.exit != 0 && !r.out.isEmpty()) throw new UserException("git config --list failed: " + r.err.strip());
        return Settings.parse(r.out.getBytes(StandardCharsets.UTF_8));
    }

    /** The repository around the current directory. */
    record Dirs(Path gitDir, Path commonDir, Path topLevel) {
        ThetaRepository.Location location() { return new ThetaRepository.Location(gitDir, commonDir, topLevel); }
    }

    /** The repository around {@code cwd} with the configuration git sees there, reporting progress on a terminal. */
    static ThetaRepository repository(Path cwd) throws IOException {
        Dirs dirs = dirs(cwd);
        return ThetaRepository.open(dirs.location(), settings(cwd), new GitCredentials(dirs.topLevel()),
                TerminalProgress.forStderr());
    }

    static Dirs dirs(Path cwd) throws IOException {
        Result r = exec(cwd, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-toplevel");
        if (r.exit != 0) throw new UserException("not in a git repository (" + cwd + ")");
        List<String> lines = r.out.lines().toList();
        Path top = lines.size() > 2 ? Path.of(lines.get(2)) : cwd;
        return new Dirs(Path.of(lines.get(0)), Path.of(lines.get(1)), top);
    }
}
