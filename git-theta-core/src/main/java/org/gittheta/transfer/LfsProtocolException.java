package org.gittheta.transfer;

import java.io.IOException;

/**
 * A Git LFS server broke the protocol: a malformed or oversized reply, a bad action, a redirect that cannot be
 * followed. Not retried, since asking again would get the same answer.
 */
public final class LfsProtocolException extends IOException {
    public LfsProtocolException(String message) {
        super(message);
    }

    public LfsProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
