package org.gittheta.format;

import java.util.Locale;
import java.util.Optional;

/** Picks the checkpoint format of a file from its name. */
public final class Formats {
    private Formats() {}

    /** The format of {@code path} by its extension (case-insensitive), or empty if we do not know it. */
    public static Optional<CheckpointFormat> forPath(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".safetensors")) return Optional.of(SafetensorsFormat.INSTANCE);
        return Optional.empty();
    }
}
