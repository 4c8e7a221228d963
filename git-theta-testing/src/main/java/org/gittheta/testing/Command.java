package org.gittheta.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A process a test runs (git, bin/git-theta, a shell), always with a deadline: a filter that deadlocks fails the test
 * with the command's name instead of hanging the build. Standard input is empty unless a file is given; standard
 * output and error are read at the same time, so that neither pipe can fill up and stall the process.
 */
public final class Command {
    /** Long enough for a checkpoint of a few hundred MiB on a loaded machine; a hang still ends the test. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private final List<String> argv;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path dir;
    private Path input;
    private boolean inputOpen;
    private Path output;
    private boolean errorsIntoOutput;
    private boolean withoutInheritedGitVariables;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Command(List<String> argv) {
        if (argv.isEmpty()) throw new IllegalArgumentException("no command");
        this.argv = List.copyOf(argv);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv);
    }

    /** The working directory (else the test's). */
    public Command in(Path directory) {
        this.dir = directory;
        return this;
    }

    /** Variables set on top of the inherited environment. */
    public Command env(Map<String, String> variables) {
        env.putAll(variables);
        return this;
    }

    public Command env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /**
     * Drops the {@code GIT_*} variables the test itself inherited (a test run from a git hook has {@code GIT_DIR}),
     * before {@link #env} adds its own.
     */
    public Command withoutInheritedGitVariables() {
        withoutInheritedGitVariables = true;
        return this;
    }

    /** Standard input from this file. */
    public Command input(Path file) {
        this.input = file;
        return this;
    }

    /**
     * Standard input is a pipe that stays open until the process ends: for a process a test keeps waiting on its
     * input while it looks at what happens meanwhile, then ends with {@link Running#kill}.
     */
    public Command inputOpen() {
        this.inputOpen = true;
        return this;
    }

    /** Standard output into this file instead of {@link Result#out()}, which is then empty. */
    public Command output(Path file) {
        this.output = file;
        return this;
    }

    /** Standard error joins standard output, in the order the process wrote them. */
    public Command errorsIntoOutput() {
        errorsIntoOutput = true;
        return this;
    }

    public Command timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** What the command line was, its exit status and what it printed. */
    public record Result(String command, int exit, String out, String err) {
        /** This result, if the command succeeded; else an assertion error with its command line and messages. */
        public Result assertOk() {
            if (exit != 0) {
                throw new AssertionError(
                        command + " failed with exit status " + exit + ":\n" + err + (err.isEmpty() ? out : ""));
            }
            return this;
        }
    }

    /** Runs the command to its end; kills it (and what it started) and throws when the deadline passes first. */
    public Result run() throws IOException {
        return start().result();
    }

    /**
     * Starts the command and returns at once, for a test that watches or kills the process while it runs; its
     * output is read meanwhile, and the deadline counts from here.
     */
    public Running start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (dir != null) pb.directory(dir.toFile());
        if (withoutInheritedGitVariables) pb.environment().keySet().removeIf(name -> name.startsWith("GIT_"));
        pb.environment().putAll(env);
        if (!inputOpen) {
            pb.redirectInput(input == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : redirect(input));
        }
        if (output != null) pb.redirectOutput(output.toFile());
        pb.redirectErrorStream(errorsIntoOutput);
        long deadline = System.nanoTime() + timeout.toNanos();
        Process p = pb.start();
        CompletableFuture<String> out = output == null ? text(p.getInputStream()) : drained(p.getInputStream());
        CompletableFuture<String> err = errorsIntoOutput ? drained(p.getErrorStream()) : text(p.getErrorStream());
        return new Running(p, deadline, out, err);
    }

    /** A started command: its process, and its result once it has ended. */
    public final class Running {
        private final Process process;
        private final long deadline;
        private final CompletableFuture<String> out;
        private final CompletableFuture<String> err;

        private Running(Process process, long deadline, CompletableFuture<String> out, CompletableFuture<String> err) {
            this.process = process;
            this.deadline = deadline;
            this.out = out;
            this.err = err;
        }

        public Process process() {
            return process;
        }

        /** Kills the process (and what it started), then waits for its end as {@link #result} does. */
        public Result kill() throws IOException {
            Command.kill(process);
            return result();
        }

        /** Waits for the end; kills the process (and what it started) and throws when the deadline passes first. */
        public Result result() throws IOException {
            try {
                if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    Command.kill(process);
                    throw new IOException(Command.this + " did not finish within " + timeout + " (killed)");
                }
                // a process it started and left running may still hold the pipes open
                return new Result(
                        Command.this.toString(), process.exitValue(), await(out, deadline), await(err, deadline));
            } catch (InterruptedException e) {
                Command.kill(process);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + Command.this, e);
            }
        }
    }

    /** The standard output of a command that must succeed. */
    public String ok() throws IOException {
        return run().assertOk().out();
    }

    @Override
    public String toString() {
        return String.join(" ", argv);
    }

    private static ProcessBuilder.Redirect redirect(Path file) {
        return ProcessBuilder.Redirect.from(file.toFile());
    }

    private static CompletableFuture<String> text(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                result.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Reads a stream nobody looks at (it is empty: redirected or merged), so that it closes. */
    private static CompletableFuture<String> drained(InputStream in) {
        return text(in).thenApply(ignored -> "");
    }

    private String await(CompletableFuture<String> text, long deadline) throws IOException, InterruptedException {
        try {
            return text.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IOException(this + ": its output stayed open past " + timeout, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(this + ": reading its output failed", e.getCause());
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }
}
