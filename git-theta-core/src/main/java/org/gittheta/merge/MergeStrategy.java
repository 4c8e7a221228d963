package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * How a parameter changed on both sides is merged. Choices ({@link Pick}, {@link Fail}) never look at values;
 * {@link Arithmetic} strategies compute new values in double precision.
 */
public sealed interface MergeStrategy permits Pick, Fail, MergeStrategy.Arithmetic {
    /** Name and options as the report prints them, e.g. {@code ties(density=0.2, lambda=1,1)}. */
    String describe();

    /** Strategies that compute values. */
    sealed interface Arithmetic extends MergeStrategy permits Average, Slerp, FisherMerge, TaskVectors {
        /**
         * Writes the merged values into {@code out} (same element count as the inputs).
         * @return a note for the report when the strategy fell back to something else, else empty
         */
        String merge(MergeInput in, TensorView out);
    }

    /** Arithmetic over task vectors θ_j − θ_base: these need the base version's values. */
    sealed interface TaskVectors extends Arithmetic permits TaskArithmetic, Ties, Dare, Breadcrumbs, ModelStock {}
}
