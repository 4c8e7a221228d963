package org.gittheta.cli;

import java.util.List;
import java.util.Locale;

/** {@code GIT_THETA_SKIP_SMUDGE}: smudge leaves manifests as they are, as git-lfs reads {@code GIT_LFS_SKIP_SMUDGE}. */
public final class SkipSmudge {
    public static final String VARIABLE = "GIT_THETA_SKIP_SMUDGE";

    private SkipSmudge() {}

    /** Whether this process was asked to skip smudging. */
    public static boolean requested() {
        String value = System.getenv(VARIABLE);
        return value != null
                && List.of("1", "true", "yes", "on").contains(value.strip().toLowerCase(Locale.ROOT));
    }
}
