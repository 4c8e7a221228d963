package org.gittheta.merge;

import java.util.Optional;
import org.gittheta.tensor.TensorView;

/**
 * The values of one parameter changed on both sides, as arithmetic strategies see them. ours, theirs, base and
 * the output have the same element count; base is absent when the parameter was added on both sides.
 *
 * @param fisherOurs   diagonal Fisher of ours for this parameter, same element count, when one was supplied
 */
public record MergeInput(String name, Optional<TensorView> base, TensorView ours, TensorView theirs,
                         Optional<TensorView> fisherOurs, Optional<TensorView> fisherTheirs) {
    public long size() { return ours.count(); }
}
