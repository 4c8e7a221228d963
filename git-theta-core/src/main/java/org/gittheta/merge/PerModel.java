package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A number per merged model (ours first, then the others in the order given): one value for every model, or one
 * per model. Values are finite: NaN or an infinity would silently fill the merged tensors with NaN.
 */
public record PerModel(List<Double> values) {
    public PerModel {
        values = List.copyOf(values);
        if (values.isEmpty()) throw new IllegalArgumentException("no value given");
        for (double v : values)
            if (!Double.isFinite(v)) throw new IllegalArgumentException(v + " is not a finite number");
    }

    public static PerModel of(double... values) {
        List<Double> l = new ArrayList<>();
        for (double v : values) l.add(v);
        return new PerModel(l);
    }

    /** Parses {@code a} or {@code a,b,...}; {@code key} names the option in messages. */
    public static PerModel parse(String key, String text) {
        List<Double> l = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            double v;
            try {
                v = Double.parseDouble(part.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("merge option " + key + "=" + text + " is not a number");
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("merge option " + key + "=" + text + " is not a finite number");
            }
            l.add(v);
        }
        return new PerModel(l);
    }

    /** The value of model {@code model} of {@code models}. */
    public double at(int model, int models) {
        if (values.size() == 1) return values.getFirst();
        if (values.size() != models) {
            throw new IllegalArgumentException(
                    text() + " gives " + values.size() + " values for " + models + " models");
        }
        return values.get(model);
    }

    /** Whether every model gets the same value. */
    boolean uniform() {
        return values.stream().distinct().count() == 1;
    }

    public String text() {
        return values.stream().map(TaskArithmetic::num).collect(Collectors.joining(","));
    }
}
