package org.gittheta.transfer;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Where user names and passwords come from when a server asks for them ({@code git credential} in the CLI), and
 * who runs the ssh that asks an SSH remote's server for its LFS token (the core starts no process).
 */
public interface Credentials {
    /** A user name and password for the server at {@code url}; none by default. */
    default Optional<Credential> fill(URI url) throws IOException {
        return Optional.empty();
    }

    /**
     * The output of an ssh command asking for an LFS token ({@link SshAuthentication}), at most 64 KiB and within a
     * bounded time (an IOException otherwise); empty when ssh cannot be run or fails. None by default.
     */
    default Optional<byte[]> askSsh(List<String> command) throws IOException {
        return Optional.empty();
    }

    /** The credential worked: helpers may store it. */
    default void approve(URI url, Credential credential) throws IOException {}

    /** The credential was refused: helpers should forget it. */
    default void reject(URI url, Credential credential) throws IOException {}

    record Credential(String username, String password) {
        String basicAuthorization() {
            return "Basic "
                    + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Credential[" + username + "]";
        }
    }

    /** For servers that need none. */
    Credentials NONE = new Credentials() {};
}
