package org.gittheta.update;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How the encoder stores changed parameters.
 *
 * @param forced        a kind the user asked for; empty for {@code auto} (the smallest exact form)
 * @param lora          the adapter whose low-rank factors describe the change, if the user gave one
 * @param maxChainDepth deltas allowed on top of a dense object before a version is stored dense again
 * @param lossyRank     the rank of lossy truncated-SVD storage, only when the user asked for it by name
 *                      ({@code --update-type low-rank --rank R --lossy}); empty: every form is exact
 */
public record UpdateOptions(Optional<UpdateKind> forced, Optional<LoraAdapter> lora, int maxChainDepth, OptionalInt lossyRank) {
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 8;

    public UpdateOptions {
        if (maxChainDepth < 0) throw new IllegalArgumentException("theta.maxChainDepth " + maxChainDepth + " is negative");
        if (lossyRank.isPresent()) {
            if (lossyRank.getAsInt() <= 0) throw new IllegalArgumentException("rank " + lossyRank.getAsInt() + " is not positive");
            if (!forced.equals(Optional.of(UpdateKind.LOW_RANK)) || lora.isPresent()) {
                throw new IllegalArgumentException("lossy storage needs update type low-rank and no LoRA adapter");
            }
        }
    }

    /** Exact storage only. */
    public UpdateOptions(Optional<UpdateKind> forced, Optional<LoraAdapter> lora, int maxChainDepth) {
        this(forced, lora, maxChainDepth, OptionalInt.empty());
    }

    public static UpdateOptions auto() { return new UpdateOptions(Optional.empty(), Optional.empty(), DEFAULT_MAX_CHAIN_DEPTH); }
    /** Parses {@code dense|sparse|xor-delta|low-rank|ia3|auto}; empty for auto. */
    public static Optional<UpdateKind> parseType(String value) {
        if (value.toLowerCase(Locale.ROOT).equals("auto")) return Optional.empty();
        return Optional.of(UpdateKind.fromLabel(value).orElseThrow(() -> new IllegalArgumentException(
                "update type '" + value + "' is not one of dense, sparse, xor-delta, low-rank, ia3, auto")));
    }
}
