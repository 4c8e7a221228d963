package org.gittheta.format;

import java.util.Optional;
import org.gittheta.text.Printable;

/**
 * A well-formed checkpoint that is not a plain state dict we can split: its pickle names a global outside the
 * allow-list (so loading it would run code), uses a construct a state dict never needs, or keeps tensor data
 * compressed. Callers store such a file whole; it is not corrupt. The message reads
 * {@code "<file>: not a state dict: global 'posix system'"}.
 */
public final class NotAStateDictException extends BadCheckpointException {
    private final String global;
    private final String reason;

    NotAStateDictException(String file, String what) {
        this(file, what, null);
    }

    /** {@code global} is {@code "<module> <name>"} as the pickle spells it. */
    static NotAStateDictException forGlobal(String file, String global) {
        return new NotAStateDictException(file, "global '" + global + "'", global);
    }

    private NotAStateDictException(String file, String what, String global) {
        super(file, "not a state dict: " + what);
        this.global = global;
        this.reason = Printable.escape("not a state dict: " + what);
    }

    /** The message without the file's name: {@code "not a state dict: global 'posix system'"}. */
    public String reason() {
        return reason;
    }

    /** The disallowed global ({@code "posix system"}), when that is the reason. */
    public Optional<String> global() {
        return Optional.ofNullable(global);
    }
}
