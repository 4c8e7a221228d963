package org.gittheta.config;

import java.io.IOException;

/** A configuration value git-theta cannot use; the message names the key and the value. */
public final class SettingException extends IOException {
    public SettingException(String message) {
        super(message);
    }
}
