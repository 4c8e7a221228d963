package org.gittheta.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Temporary repositories in an isolated git world: {@code home} is the home directory, the only git configuration is
 * {@code home/gitconfig} (no system or user settings leak in, and none of the test's own {@code GIT_*} variables),
 * the author is fixed and credential prompts are off. Directories given first go at the front of PATH (the project's
 * {@code bin/}, so that {@code git theta} is this checkout's).
 */
public final class GitSandbox {
    private final Path home;
    private final Map<String, String> env = new LinkedHashMap<>();

    public GitSandbox(Path home, Path... onPathFirst) throws IOException {
        this.home = Files.createDirectories(home);
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", home.resolve("gitconfig").toString());
        List<String> path = new ArrayList<>();
        for (Path dir : onPathFirst) path.add(dir.toString());
        path.add(System.getenv("PATH"));
        env.put("PATH", String.join(File.pathSeparator, path));
        env.put("GIT_TERMINAL_PROMPT", "0");
        for (String who : List.of("AUTHOR", "COMMITTER")) {
            env.put("GIT_" + who + "_NAME", "Test");
            env.put("GIT_" + who + "_EMAIL", "test@example.com");
        }
    }

    public Path home() {
        return home;
    }

    /** Sets a variable for every later command (for example a fixed commit date). */
    public GitSandbox set(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** The environment every command here runs with, on top of the test's own minus its {@code GIT_*} variables. */
    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    /** Any command (git, a shell, bin/git-theta) in {@code dir}, in this world; more options go on the result. */
    public Command command(Path dir, String... argv) {
        return Command.of(argv).in(dir).withoutInheritedGitVariables().env(env);
    }

    public Command.Result run(Path dir, String... argv) throws IOException {
        return command(dir, argv).run();
    }

    /** The output of a command that must succeed. */
    public String ok(Path dir, String... argv) throws IOException {
        return command(dir, argv).ok();
    }

    /** git with these arguments in {@code dir}; more options go on the result. */
    public Command gitCommand(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("git"));
        argv.addAll(List.of(args));
        return Command.of(argv).in(dir).withoutInheritedGitVariables().env(env);
    }

    /** git with these arguments, which must succeed; returns its output. */
    public String git(Path dir, String... args) throws IOException {
        return gitCommand(dir, args).ok();
    }

    /** git with these arguments, whatever its exit status. */
    public Command.Result gitMayFail(Path dir, String... args) throws IOException {
        return gitCommand(dir, args).run();
    }

    /** A new empty repository {@code home/name} on branch main. */
    public Path newRepo(String name) throws IOException {
        Path repo = Files.createDirectories(home.resolve(name));
        git(repo, "init", "-q", "-b", "main");
        return repo;
    }
}
