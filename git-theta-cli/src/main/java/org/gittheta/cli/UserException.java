package org.gittheta.cli;

/** A failure the user caused or can fix: reported as one line, no stack trace, exit status 1. */
public final class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }
}
