package org.gittheta.manifest;

import java.io.IOException;

/** A manifest text that cannot be read: says which line and what is wrong. */
public final class ManifestException extends IOException {
    public ManifestException(String message) { super(message); }
}
