package org.gittheta.filter;

import java.io.IOException;

/**
 * A user-facing failure of one file: the server answers {@code status=error} for that file, reports
 * {@link #getMessage()} as one line, and goes on serving. The message should name the file.
 */
public class FilterException extends IOException {
    public FilterException(String message) {
        super(message);
    }

    public FilterException(String message, Throwable cause) {
        super(message, cause);
    }
}
