package org.gittheta.merge;

import java.util.Optional;

/**
 * How each parameter is merged: its strategy (with its per-model options) and scope, as a function of the
 * parameter's name. {@link MergeConfig} answers from {@code theta.merge.*}; a mergekit configuration answers with
 * per-tensor weights, densities and λ (e.g. {@code new Ties(PerModel.of(0.5, 0.7), PerModel.of(1, 0.8))} for the
 * parameters one of its filters matches).
 */
public interface ParamStrategies {
    MergeStrategy strategyFor(String param);

    Scope scopeFor(String param);

    /** For a non-float parameter that needs arithmetic: take ours, theirs, or (empty) leave a conflict. */
    default Optional<Side> nonFloat() {
        return Optional.empty();
    }
}
