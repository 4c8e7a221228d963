package org.gittheta.manifest;

import java.io.IOException;
import org.gittheta.text.Printable;

/** A manifest text that cannot be read: says which line and what is wrong, text quoted from it escaped for display. */
public final class ManifestException extends IOException {
    public ManifestException(String message) {
        super(Printable.escape(message));
    }
}
