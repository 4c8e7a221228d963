package org.gittheta.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import org.gittheta.config.Settings;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.store.Ordered;

/** Runs the real {@code git} for what only it knows: the repository's directories and the effective configuration. */
public final class Git {
    private static final String FILE_ORIGIN = "file:";
    private static final Map<Path, Dirs> DIRS = new HashMap<>();

    private Git() {}

    /** Output of a git command that must succeed, trailing newline removed. */
    public static String run(Path dir, String... args) throws IOException {
        return exec(dir, args).outOrFail(args).stripTrailing();
    }

    public record Result(int exit, String out, String err) {
        /** The output of the command {@code args} (as run), or the one line saying it failed. */
        public String outOrFail(String... args) {
            if (exit != 0) throw failed(args, err);
            return out;
        }
    }

    private static UserException failed(String[] args, String err) {
        return new UserException("git " + String.join(" ", args) + " failed: " + err.strip());
    }

    public static Result exec(Path dir, String... args) throws IOException {
        Raw r = exec(dir, Map.of(), null, args);
        return new Result(r.exit(), new String(r.out(), StandardCharsets.UTF_8), r.err());
    }

    /** A finished git command's exit status, output bytes and error text. */
    record Raw(int exit, byte[] out, String err) {}

    /**
     * Runs git with extra environment variables and, unless {@code input} is null, those bytes on its standard input
     * (else the caller's).
     */
    static Raw exec(Path dir, Map<String, String> env, byte[] input, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir == null ? null : dir.toFile());
        pb.environment().putAll(env);
        if (input == null) pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try {
            // stderr (and stdin) are served beside stdout so that no pipe can fill up and stall git
            Future<byte[]> err = Ordered.submit(() -> p.getErrorStream().readAllBytes());
            Future<byte[]> in = Ordered.submit(() -> {
                if (input != null) {
                    try (var o = p.getOutputStream()) {
                        o.write(input);
                    }
                }
                return new byte[0];
            });
            byte[] out = p.getInputStream().readAllBytes();
            Ordered.await(in);
            return new Raw(p.waitFor(), out, new String(Ordered.await(err), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git", e);
        }
    }

    /** Output bytes of a git command that must succeed. */
    public static byte[] runBytes(Path dir, String... args) throws IOException {
        return checked(exec(dir, Map.of(), null, args), args).out();
    }

    /** Output of a git command that must succeed, run with extra environment variables and the given input. */
    public static String runWithEnv(Path dir, Map<String, String> env, byte[] input, String... args)
            throws IOException {
        return new String(checked(exec(dir, env, input, args), args).out(), StandardCharsets.UTF_8);
    }

    private static Raw checked(Raw r, String... args) {
        if (r.exit() != 0) throw failed(args, r.err());
        return r;
    }

    /** The whole configuration as git resolves it (files and {@code git -c} settings), read in one call. */
    public static Settings settings(Path dir) throws IOException {
        return settings(dir, List.of());
    }

    /** The configuration with {@code -c key=value} arguments ({@code configArgs}) on top, as {@code git -c} gives. */
    public static Settings settings(Path dir, List<String> configArgs) throws IOException {
        List<String> args = new ArrayList<>(configArgs);
        args.addAll(List.of("config", "-z", "--list", "--show-scope", "--show-origin"));
        Result r = exec(dir, args.toArray(String[]::new));
        // exit 1 with no output: nothing is configured anywhere
        if (r.exit != 0 && !r.out.isEmpty()) throw new UserException("git config --list failed: " + r.err.strip());
        // per entry: scope NUL origin NUL key [LF value] NUL; the origin only tells where the system file is
        String nul = String.valueOf((char) 0);
        String[] fields = r.out.split(nul, -1);
        StringBuilder entries = new StringBuilder();
        Set<String> systemFiles = new HashSet<>();
        for (int i = 0; i + 2 < fields.length; i += 3) {
            String scope = fields[i];
            String origin = fields[i + 1];
            entries.append(scope).append(nul).append(fields[i + 2]).append(nul);
            if (scope.equals("system") && origin.startsWith(FILE_ORIGIN)) {
                systemFiles.add(origin.substring(FILE_ORIGIN.length()));
            }
        }
        // several files (includes): JGit finds them itself
        if (systemFiles.size() <= 1)
            ThetaRepository.useGitSystemConfig(systemFiles.stream().findFirst().map(Path::of));
        return Settings.parse(entries.toString().getBytes(StandardCharsets.UTF_8))
                .withEnvironment(System.getenv());
    }

    /**
     * @param topLevel    the work tree's top, where git commands run; in a repository without a work tree (bare, or
     *     from inside its git directory), the git directory
     * @param hasWorkTree whether there is a work tree ({@link #requireWorkTree})
     */
    public record Dirs(Path gitDir, Path commonDir, Path indexFile, Path topLevel, boolean hasWorkTree) {
        /** Refuses, as git does, a command that reads or writes the work tree where there is none. */
        public Dirs requireWorkTree(String command) {
            if (!hasWorkTree) throw new UserException(command + ": this operation must be run in a work tree");
            return this;
        }

        public ThetaRepository.Location location() {
            return new ThetaRepository.Location(gitDir, commonDir, topLevel, indexFile);
        }
    }

    /** The repository around {@code cwd} with the configuration git sees there, reporting progress on a terminal. */
    public static ThetaRepository repository(Path cwd) throws IOException {
        return repository(cwd, List.of());
    }

    /** The same, with {@code -c key=value} arguments on top of the configuration. */
    public static ThetaRepository repository(Path cwd, List<String> configArgs) throws IOException {
        Dirs dirs = dirs(cwd);
        Settings settings = settings(cwd, configArgs);
        return ThetaRepository.open(
                dirs.location(),
                settings,
                new GitCredentials(dirs.topLevel()),
                new GitPromisedBlobs(dirs.topLevel(), settings),
                TerminalProgress.forStderr());
    }

    /**
     * Where git keeps the repository around {@code cwd}: asked once per directory, since a command's checks and the
     * repository it opens both need it, and neither the directory's repository nor git's environment changes while
     * one command runs.
     */
    public static Dirs dirs(Path cwd) throws IOException {
        synchronized (DIRS) {
            Dirs known = DIRS.get(cwd);
            if (known != null) return known;
        }
        Dirs dirs = askDirs(cwd);
        synchronized (DIRS) {
            DIRS.put(cwd, dirs);
        }
        return dirs;
    }

    private static Dirs askDirs(Path cwd) throws IOException {
        // the index's path is GIT_INDEX_FILE's when that is set, as Git itself reads and writes it
        List<String> asked = new ArrayList<>(
                List.of("rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--git-path", "index"));
        asked.add("--show-toplevel");
        Result r = exec(cwd, asked.toArray(String[]::new));
        // --show-toplevel fails where there is no work tree: a bare repository (a path remote), or its git directory
        boolean hasWorkTree = r.exit == 0;
        if (!hasWorkTree) r = exec(cwd, asked.subList(0, asked.size() - 1).toArray(String[]::new));
        if (r.exit != 0) throw new UserException("not in a git repository (" + cwd + ")");
        List<String> lines = r.out.lines().toList();
        Path gitDir = Path.of(lines.get(0));
        Path top = hasWorkTree ? Path.of(lines.get(3)) : gitDir;
        return new Dirs(gitDir, Path.of(lines.get(1)), Path.of(lines.get(2)), top, hasWorkTree);
    }
}
