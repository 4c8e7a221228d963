package org.gittheta.merge;

import java.util.Locale;

/**
 * Which parameters a strategy's formula applies to. {@link #CHANGED} is git's three-way rule: only parameters
 * changed on both sides are computed, a change on one side is taken as it is. {@link #ALL} is model merging: the
 * formula applies to every parameter every model has (a side that did not change it contributes τ = 0).
 */
public enum Scope {
    CHANGED,
    ALL;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "changed" -> CHANGED;
            case "all" -> ALL;
            default -> throw new IllegalArgumentException("merge scope '" + text + "' is not changed or all");
        };
    }
}
