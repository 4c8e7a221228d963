package org.gittheta.merge;

import java.util.Locale;

/**
 * The numeric options of the strategies, with their defaults; a rule's {@code k=v} words override them for the
 * parameters it matches. Keys are case-insensitive, as git config keys are. {@code lambda}, {@code weight} and
 * {@code density} are per model ({@link PerModel}: one value for all, or {@code a,b,...} with ours first).
 */
public record StrategyOptions(
        PerModel lambda,
        PerModel weight,
        PerModel density,
        double p,
        long seed,
        double t,
        double fisherFloor,
        double gamma) {
    public static final StrategyOptions DEFAULTS =
            new StrategyOptions(PerModel.of(1), Average.EQUAL, PerModel.of(0.2), 0.5, 0, 0.5, 1e-6, 0.01);

    /** Whether {@code key} names one of these options. */
    public static boolean isOption(String key) {
        return switch (key.toLowerCase(Locale.ROOT)) {
            case "lambda", "weight", "density", "p", "seed", "t", "fisherfloor", "fisher-floor", "gamma" -> true;
            default -> false;
        };
    }

    /** A copy with one option set from its text. */
    public StrategyOptions with(String key, String value) {
        try {
            return switch (key.toLowerCase(Locale.ROOT)) {
                case "lambda" ->
                    new StrategyOptions(PerModel.parse(key, value), weight, density, p, seed, t, fisherFloor, gamma);
                case "weight" ->
                    new StrategyOptions(lambda, PerModel.parse(key, value), density, p, seed, t, fisherFloor, gamma);
                case "density" ->
                    new StrategyOptions(lambda, weight, PerModel.parse(key, value), p, seed, t, fisherFloor, gamma);
                case "p" ->
                    new StrategyOptions(lambda, weight, density, number(key, value), seed, t, fisherFloor, gamma);
                case "seed" ->
                    new StrategyOptions(
                            lambda, weight, density, p, Long.parseLong(value.strip()), t, fisherFloor, gamma);
                case "t" ->
                    new StrategyOptions(lambda, weight, density, p, seed, number(key, value), fisherFloor, gamma);
                case "fisherfloor", "fisher-floor" ->
                    new StrategyOptions(lambda, weight, density, p, seed, t, number(key, value), gamma);
                case "gamma" ->
                    new StrategyOptions(lambda, weight, density, p, seed, t, fisherFloor, number(key, value));
                default -> throw new IllegalArgumentException("unknown merge option '" + key + "'");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("merge option " + key + "=" + value + " is not a number");
        }
    }

    /** A finite number: NaN or an infinity would silently fill the merged tensors with NaN. */
    private static double number(String key, String text) {
        double v = Double.parseDouble(text.strip());
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("merge option " + key + "=" + text.strip() + " is not a finite number");
        }
        return v;
    }

    /** The strategy called {@code name} with these options. */
    public MergeStrategy strategy(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "average" -> new Average(weight);
            case "ours" -> new Pick(Side.OURS);
            case "theirs" -> new Pick(Side.THEIRS);
            case "base" -> new Pick(Side.BASE);
            case "fail" -> new Fail();
            case "task-arithmetic" -> new TaskArithmetic(lambda);
            case "ties" -> new Ties(density, lambda, weight, true);
            case "dare" -> new Dare(p, seed, lambda, false);
            case "dare-ties" -> new Dare(p, seed, lambda, true);
            case "breadcrumbs" -> new Breadcrumbs(density, gamma, lambda);
            case "model-stock" -> new ModelStock();
            case "slerp" -> new Slerp(t);
            case "fisher" -> new FisherMerge(lambda, fisherFloor);
            default ->
                throw new IllegalArgumentException("unknown merge strategy '" + name
                        + "' (known: average, ours, "
                        + "theirs, base, fail, task-arithmetic, ties, dare, dare-ties, "
                        + "breadcrumbs, model-stock, slerp, fisher)");
        };
    }
}
