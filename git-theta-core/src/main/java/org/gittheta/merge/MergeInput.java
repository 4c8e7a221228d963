package org.gittheta.merge;

import java.util.List;
import java.util.Optional;
import org.gittheta.tensor.TensorView;

/**
 * The values of one parameter as arithmetic strategies see them: the models that take part (all of them with scope
 * {@code all}, those that changed it with scope {@code changed}), the base when there is one, all of the same
 * element count as the output.
 *
 * @param modelCount how many models the merge has, so that per-model options ({@link PerModel}) are indexed right
 */
public record MergeInput(String name, Optional<TensorView> base, List<Model> models, int modelCount) {
    public MergeInput {
        models = List.copyOf(models);
        if (models.size() < 2) throw new IllegalArgumentException(name + ": a merge needs at least two models");
    }

    /**
     * One model's version of the parameter.
     * @param index  the model's position in the merge (0 is ours)
     * @param fisher its diagonal Fisher for this parameter, when one was supplied
     */
    public record Model(int index, TensorView values, Optional<TensorView> fisher) {}

    /** Two models, ours (index 0) and theirs (index 1), as a three-way merge has. */
    public static MergeInput two(
            String name,
            Optional<TensorView> base,
            TensorView ours,
            TensorView theirs,
            Optional<TensorView> fisherOurs,
            Optional<TensorView> fisherTheirs) {
        return new MergeInput(
                name, base, List.of(new Model(0, ours, fisherOurs), new Model(1, theirs, fisherTheirs)), 2);
    }

    public long size() {
        return models.getFirst().values().count();
    }

    public TensorView values(int i) {
        return models.get(i).values();
    }

    /** The option value of the i-th model taking part. */
    public double of(PerModel option, int i) {
        return option.at(models.get(i).index(), modelCount);
    }
}
