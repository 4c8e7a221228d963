package org.gittheta.merge;

import java.util.Locale;

/** The three versions of a three-way merge. */
public enum Side {
    BASE,
    OURS,
    THEIRS;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
