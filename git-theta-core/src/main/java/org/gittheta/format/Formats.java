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
        if (lower.endsWith(".gguf")) return Optional.of(GgufFormat.INSTANCE);
        return Optional.empty();
    }

    /** The format a manifest names. */
    public static Optional<CheckpointFormat> byName(String name) {
        if (GgufFormat.INSTANCE.name().equals(name)) return Optional.of(GgufFormat.INSTANCE);
        return SafetensorsFormat.INSTANCE.name().equals(name) ? Optional.of(SafetensorsFormat.INSTANCE) : Optional.empty();
    }
}
