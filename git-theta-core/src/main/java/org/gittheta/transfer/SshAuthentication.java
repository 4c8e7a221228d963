package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * What the server of an SSH remote grants for its Git LFS API, asked for as git-lfs asks it:
 * {@code ssh [-p <port>] [<user>@]<host> "git-lfs-authenticate <path> <operation>"} prints a JSON object with the
 * headers to send to the API ({@code header}, typically a token in {@code Authorization}), the API's URL when it is
 * not the one derived from the remote ({@code href}), and how long they last ({@code expires_in} seconds or
 * {@code expires_at}). So a user whose SSH key reaches the repository needs no password for its LFS server.
 */
public final class SshAuthentication {
    /** A grant is a few hundred bytes. */
    private static final int REPLY_LIMIT = 64 << 10;
    /** Long enough to type a key's passphrase at ssh's prompt; a connection that hangs is not waited on forever. */
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** Paths the server's shell reads as they are; anything else is quoted, as git quotes the path it sends. */
    private static final Pattern PLAIN_PATH = Pattern.compile("[A-Za-z0-9._/~@+-]+");

    private final List<String> ssh;
    private final LfsEndpoint.SshTarget target;
    private final Duration timeout;

    /**
     * @param ssh    the command that runs ssh, to which the port, the host and the remote command are appended
     * @param target the remote's host and path
     */
    public SshAuthentication(List<String> ssh, LfsEndpoint.SshTarget target) {
        this(ssh, target, TIMEOUT);
    }

    SshAuthentication(List<String> ssh, LfsEndpoint.SshTarget target, Duration timeout) {
        this.ssh = List.copyOf(ssh);
        this.target = target;
        this.timeout = timeout;
    }

    /**
     * The grant for an operation ({@code download} or {@code upload}), its {@code href} resolved against
     * {@code endpoint} (the derived API URL, used when it has none). Empty when ssh fails (a server without
     * git-lfs-authenticate, a key it refuses): git-lfs then talks to the derived URL without it, and so does this.
     */
    Optional<LfsJson.Action> grant(String operation, URI endpoint) throws IOException {
        List<String> command = new ArrayList<>(ssh);
        target.port().ifPresent(port -> command.addAll(List.of("-p", port.toString())));
        command.add(target.userAndHost());
        command.add("git-lfs-authenticate " + quoted(target.path()) + " " + operation);
        Process p;
        try {
            // ssh reads a passphrase from the terminal itself; its standard input here is never git's protocol
            p = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException noSsh) {
            return Optional.empty();
        }
        p.getOutputStream().close();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> stopAfterTimeout(p, timeout, timedOut));
        byte[] reply;
        int exit;
        try (InputStream out = p.getInputStream()) {
            reply = out.readNBytes(REPLY_LIMIT + 1);
            if (reply.length > REPLY_LIMIT) p.destroyForcibly();
            exit = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + describe(operation), e);
        } finally {
            watchdog.interrupt();
        }
        if (timedOut.get()) {
            throw new IOException(describe(operation) + ": no answer within " + timeout.toSeconds() + " s");
        }
        if (reply.length > REPLY_LIMIT) {
            throw new LfsProtocolException(
                    describe(operation) + ": its answer is larger than " + REPLY_LIMIT + " bytes");
        }
        if (exit != 0) return Optional.empty();
        return Optional.of(LfsJson.sshGrant(reply, endpoint, describe(operation)));
    }

    /** ssh connected to a server that never answers, or one that keeps its output open: ended after the timeout. */
    private static void stopAfterTimeout(Process p, Duration timeout, AtomicBoolean timedOut) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut.set(true);
                // a shell running ssh (GIT_SSH_COMMAND) leaves ssh holding the output when only the shell ends
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException answered) {
            // the reply came in time
        }
    }

    /** {@code [user@]host}, for messages. */
    String host() {
        return target.userAndHost();
    }

    private String describe(String operation) {
        return "ssh " + target.userAndHost() + " git-lfs-authenticate " + LfsHttp.oneLine(target.path(), 200) + " "
                + operation;
    }

    private static String quoted(String path) {
        return PLAIN_PATH.matcher(path).matches() ? path : "'" + path.replace("'", "'\\''") + "'";
    }
}
