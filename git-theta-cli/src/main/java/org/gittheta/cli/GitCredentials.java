package org.gittheta.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.gittheta.transfer.Credentials;

/**
 * Credentials from {@code git credential fill}, so whatever helper the user configured (store, cache, libsecret,
 * a script) answers Git LFS servers as it answers git. Its standard input is a pipe of ours, never the
 * caller's: in the filter process that stream carries git's protocol.
 */
final class GitCredentials implements Credentials {
    /** An LFS token is a few hundred bytes. */
    private static final int SSH_ANSWER_LIMIT = 64 << 10;
    /** Long enough to type a key's passphrase at ssh's prompt; a connection that hangs is not waited on forever. */
    private static final Duration SSH_TIMEOUT = Duration.ofMinutes(2);

    private final Path dir;
    private final Duration sshTimeout;

    GitCredentials(Path dir) {
        this(dir, SSH_TIMEOUT);
    }

    GitCredentials(Path dir, Duration sshTimeout) {
        this.dir = dir;
        this.sshTimeout = sshTimeout;
    }

    /**
     * Runs ssh with a pipe of ours as its standard input (never git's protocol stream) and its errors discarded, as
     * git-lfs keeps them out of sight: it reads a key's passphrase from the terminal itself.
     */
    @Override
    public Optional<byte[]> askSsh(List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException noSsh) {
            return Optional.empty();
        }
        p.getOutputStream().close();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> stopAfter(p, sshTimeout, timedOut));
        byte[] answer;
        int exit;
        try (InputStream out = p.getInputStream()) {
            answer = out.readNBytes(SSH_ANSWER_LIMIT + 1);
            if (answer.length > SSH_ANSWER_LIMIT) stop(p);
            exit = p.waitFor();
        } catch (InterruptedException e) {
            stop(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            watchdog.interrupt();
        }
        if (timedOut.get()) throw new IOException("no answer within " + sshTimeout.toSeconds() + " s");
        if (answer.length > SSH_ANSWER_LIMIT)
            throw new IOException("an answer over " + (SSH_ANSWER_LIMIT >> 10) + " KiB");
        return exit == 0 ? Optional.of(answer) : Optional.empty();
    }

    private static void stopAfter(Process p, Duration timeout, AtomicBoolean timedOut) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut.set(true);
                stop(p);
            }
        } catch (InterruptedException answered) {
            // the answer came in time
        }
    }

    /** Ends the command and what it started: a shell running ssh (GIT_SSH_COMMAND) leaves ssh holding the output. */
    private static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    @Override
    public Optional<Credential> fill(URI url) throws IOException {
        Map<String, String> answer = run("fill", describe(url));
        String user = answer.get("username");
        String password = answer.get("password");
        return user == null || password == null ? Optional.empty() : Optional.of(new Credential(user, password));
    }

    @Override
    public void approve(URI url, Credential c) throws IOException {
        run("approve", describe(url, c));
    }

    @Override
    public void reject(URI url, Credential c) throws IOException {
        run("reject", describe(url, c));
    }

    private static String describe(URI url) throws IOException {
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
        String path = url.getPath() == null ? "" : url.getPath().replaceFirst("^/", "");
        String user = url.getUserInfo() == null ? "" : line(url, "username", url.getUserInfo());
        return line(url, "protocol", url.getScheme()) + line(url, "host", host) + line(url, "path", path) + user;
    }

    private static String describe(URI url, Credential c) throws IOException {
        return describe(url) + line(url, "username", c.username()) + line(url, "password", c.password());
    }

    /**
     * One line of git credential's input. A value that would start another line is refused, as git refuses it: a URL
     * (from a clone's .lfsconfig, say) whose path decodes to "...\nhost=github.com" would otherwise have the helpers
     * give another host's password, which would then be sent to this URL's server.
     */
    private static String line(URI url, String key, String value) throws IOException {
        if (value.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            throw new IOException(url + ": refusing to give git credential a " + key + " with a line break in it");
        }
        return key + "=" + value + "\n";
    }

    private Map<String, String> run(String action, String input) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("git", "credential", action).directory(dir.toFile());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT); // helpers may prompt there
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((input + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int exit = p.waitFor();
            if (exit != 0) return Map.of(); // e.g. no helper and no terminal to prompt on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git credential " + action, e);
        }
        Map<String, String> answer = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) answer.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return answer;
    }
}
