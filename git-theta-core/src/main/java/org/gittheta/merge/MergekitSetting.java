package org.gittheta.merge;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One parameter's value in a mergekit configuration, as mergekit's {@code evaluate_setting} reads it: a number, a
 * gradient (numbers interpolated across the layers), or conditional entries tried in order.
 */
sealed interface MergekitSetting {

    /**
     * The value for tensor {@code tensorName} at relative depth {@code t} (0 at the first layer, 1 at the last);
     * empty when no conditional entry matches, so that the next, less specific, setting is asked.
     */
    OptionalDouble at(String tensorName, double t);

    /** A number, or a flag read as 1 or 0. */
    record Constant(double value) implements MergekitSetting {
        @Override
        public OptionalDouble at(String tensorName, double t) {
            return OptionalDouble.of(value);
        }
    }

    /**
     * Numbers spread evenly from the first layer to the last; between two points the value is linear in depth,
     * computed exactly as mergekit does so that results match to the last bit.
     */
    record Gradient(List<Double> points) implements MergekitSetting {
        public Gradient {
            points = List.copyOf(points);
        }

        @Override
        public OptionalDouble at(String tensorName, double t) {
            double scaled = t * (points.size() - 1);
            int i0 = (int) scaled;
            int i1 = Math.min(points.size() - 1, i0 + 1);
            double frac = scaled - i0;
            return OptionalDouble.of((1 - frac) * points.get(i0) + frac * points.get(i1));
        }
    }

    /**
     * Entries tried in order; the first whose filter is absent, {@code *}, or a substring of the tensor name gives
     * the value. mergekit matches filters by substring only, so neither do we: {@code mlp} matches
     * {@code model.layers.3.mlp.up_proj.weight}.
     */
    record Filtered(List<Entry> entries) implements MergekitSetting {
        public Filtered {
            entries = List.copyOf(entries);
        }

        @Override
        public OptionalDouble at(String tensorName, double t) {
            for (Entry e : entries) {
                if (e.filter().isEmpty()
                        || e.filter().get().equals("*")
                        || tensorName.contains(e.filter().get())) {
                    return e.value().at(tensorName, t);
                }
            }
            return OptionalDouble.empty();
        }
    }

    /** One conditional entry: a number or a gradient, for the tensors its filter matches. */
    record Entry(Optional<String> filter, MergekitSetting value) {}
}
