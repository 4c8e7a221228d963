package org.gittheta.transfer;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the server of an SSH remote grants for its Git LFS API, asked for as git-lfs asks it:
 * {@code ssh [-p <port>] [<user>@]<host> "git-lfs-authenticate <path> <operation>"} prints a JSON object with the
 * headers to send to the API ({@code header}, typically a token in {@code Authorization}), the API's URL when it is
 * not the one derived from the remote ({@code href}), and how long they last ({@code expires_in} seconds or
 * {@code expires_at}). So a user whose SSH key reaches the repository needs no password for its LFS server. The
 * command is run by {@link Credentials#askSsh}.
 */
public final class SshAuthentication {
    /** Paths the server's shell reads as they are; anything else is quoted, as git quotes the path it sends. */
    private static final Pattern PLAIN_PATH = Pattern.compile("[A-Za-z0-9._/~@+-]+");

    private final List<String> ssh;
    private final LfsEndpoint.SshTarget target;
    private final Credentials runner;

    /**
     * @param ssh    the command that runs ssh, to which the port, the host and the remote command are appended
     * @param target the remote's host and path
     * @param runner what runs the command
     */
    public SshAuthentication(List<String> ssh, LfsEndpoint.SshTarget target, Credentials runner) {
        this.ssh = List.copyOf(ssh);
        this.target = target;
        this.runner = runner;
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
        Optional<byte[]> answer;
        try {
            answer = runner.askSsh(command);
        } catch (IOException e) {
            throw new IOException(describe(operation) + ": " + e.getMessage(), e);
        }
        if (answer.isEmpty()) return Optional.empty();
        return Optional.of(LfsJson.sshGrant(answer.get(), endpoint, describe(operation)));
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
