package org.gittheta.format;

import java.io.IOException;
import java.util.Optional;
import org.gittheta.text.Printable;

/**
 * A checkpoint file (or a skeleton stored for one) that is malformed. The message is one line a user
 * can act on: {@code "<file>: <what>"}, or {@code "<file>: tensor '<name>': <what>"} when one tensor is at fault.
 * Names and text from the file are untrusted: the message shows them through {@link Printable#escape(String)}.
 */
public sealed class BadCheckpointException extends IOException permits NotAStateDictException {
    private final String file;
    private final String tensor;
    private final String what;

    public BadCheckpointException(String file, String what) {
        super(Printable.escape(file + ": " + what));
        this.file = file;
        this.tensor = null;
        this.what = what;
    }

    public BadCheckpointException(String file, String tensor, String what) {
        super(Printable.escape(file + ": tensor '" + tensor + "': " + what));
        this.file = file;
        this.tensor = tensor;
        this.what = what;
    }

    public BadCheckpointException(String file, String what, Throwable cause) {
        super(Printable.escape(file + ": " + what), cause);
        this.file = file;
        this.tensor = null;
        this.what = what;
    }

    /** The same problem with {@code context} added after what is wrong (file and tensor kept), this as the cause. */
    public BadCheckpointException withContext(String context) {
        BadCheckpointException e = tensor == null
                ? new BadCheckpointException(file, what + " " + context)
                : new BadCheckpointException(file, tensor, what + " " + context);
        e.initCause(this);
        return e;
    }

    public String file() {
        return file;
    }

    /** The tensor at fault, if the problem belongs to one. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
