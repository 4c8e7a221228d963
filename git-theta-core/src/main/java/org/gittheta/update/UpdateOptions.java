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
 * @param rank          with {@code low-rank} forced and no adapter: the rank of the truncated-SVD factors stored for a
 *                      change (plus the exact residual, unless {@code lossy})
 * @param lossy         store the rank-R factors without the residual, only when the user asked for it by name
 *                      ({@code --update-type low-rank --rank R --lossy}); false: every form is exact
 * @param updateData    side-loaded update data ({@code --update-data}): the parameters it names are stored with
 *                      their update applied, in the forced kind, which must be the data's
 */
public record UpdateOptions(
        Optional<UpdateKind> forced,
        Optional<LoraAdapter> lora,
        int maxChainDepth,
        OptionalInt rank,
        boolean lossy,
        Optional<UpdateData> updateData) {
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 8;

    public UpdateOptions {
        if (maxChainDepth < 0) {
            throw new IllegalArgumentException("theta.maxChainDepth " + maxChainDepth + " is negative");
        }
        if (rank.isPresent() && rank.getAsInt() <= 0) {
            throw new IllegalArgumentException("rank " + rank.getAsInt() + " is not positive");
        }
        boolean lowRank = forced.equals(Optional.of(UpdateKind.LOW_RANK));
        if (lossy && (rank.isEmpty() || !lowRank || lora.isPresent() || updateData.isPresent())) {
            throw new IllegalArgumentException(
                    "lossy storage needs update type low-rank, a rank, no LoRA adapter and no update data");
        }
        if (updateData.isPresent()
                && (!forced.equals(Optional.of(updateData.get().kind())) || lora.isPresent())) {
            throw new IllegalArgumentException("update data of type "
                    + updateData.get().kind().label() + " needs that update type and no LoRA adapter");
        }
    }

    /** Exact storage only. */
    public UpdateOptions(Optional<UpdateKind> forced, Optional<LoraAdapter> lora, int maxChainDepth) {
        this(forced, lora, maxChainDepth, OptionalInt.empty(), false, Optional.empty());
    }

    public static UpdateOptions auto() {
        return new UpdateOptions(Optional.empty(), Optional.empty(), DEFAULT_MAX_CHAIN_DEPTH);
    }

    /**
     * Whether a clean's manifest depends on the file alone: not when values come from elsewhere (a LoRA adapter,
     * update data) or are stored lossily, so that an unchanged file cleaned with these options gives a new manifest.
     */
    public boolean dependsOnFileAlone() {
        return lora.isEmpty() && updateData.isEmpty() && !lossy;
    }

    /** The rank of lossy truncated-SVD storage; empty when storage is exact. */
    public OptionalInt lossyRank() {
        return lossy ? rank : OptionalInt.empty();
    }

    /** Parses {@code dense|sparse|xor-delta|low-rank|ia3|auto}; empty for auto. */
    public static Optional<UpdateKind> parseType(String value) {
        if (value.toLowerCase(Locale.ROOT).equals("auto")) return Optional.empty();
        return Optional.of(UpdateKind.fromLabel(value)
                .orElseThrow(() -> new IllegalArgumentException(
                        "update type '" + value + "' is not one of dense, sparse, xor-delta, low-rank, ia3, auto")));
    }
}
