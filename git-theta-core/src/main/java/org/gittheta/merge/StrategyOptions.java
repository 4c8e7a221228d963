package org.gittheta.merge;

import java.util.Locale;

/**
 * The numeric options of the strategies, with their defaults; a rule's {@code k=v} words override them for the
 * parameters it matches. Keys are case-insensitive, as git config keys are.
 */
public record StrategyOptions(double lambdaOurs, double lambdaTheirs, double density, double p, long seed, double t, double fisherFloor) {
    public static final StrategyOptions DEFAULTS = new StrategyOptions(1, 1, 0.2, 0.5, 0, 0.5, 1e-6);

    /** Whether {@code key} names one of these options. */
    public static boolean isOption(String key) {
        return switch (key.toLowerCase(Locale.ROOT)) {
            case "lambda", "density", "p", "seed", "t", "fisherfloor", "fisher-floor" -> true;
            default -> false;
        };
    }

    /** A copy with one option set from its text; {@code lambda} is {@code a,b} (ours, theirs) or one value for both. */
    public StrategyOptions with(String key, String value) {
        try {
            return switch (key.toLowerCase(Locale.ROOT)) {
                case "lambda" -> {
                    String[] v = value.split(",", -1);
                    if (v.length > 2) throw new IllegalArgumentException("lambda '" + value + "' is not 'a' or 'a,b'");
                    double a = number(key, v[0]);
                    yield new StrategyOptions(a, v.length == 2 ? number(key, v[1]) : a, density, p, seed, t, fisherFloor);
                }
                case "density" -> new StrategyOptions(lambdaOurs, lambdaTheirs, number(key, value), p, seed, t, fisherFloor);
                case "p" -> new StrategyOptions(lambdaOurs, lambdaTheirs, density, number(key, value), seed, t, fisherFloor);
                case "seed" -> new StrategyOptions(lambdaOurs, lambdaTheirs, density, p, Long.parseLong(value.strip()), t, fisherFloor);
                case "t" -> new StrategyOptions(lambdaOurs, lambdaTheirs, density, p, seed, number(key, value), fisherFloor);
                case "fisherfloor", "fisher-floor" -> new StrategyOptions(lambdaOurs, lambdaTheirs, density, p, seed, t, number(key, value));
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
            case "average" -> new Average();
            case "ours" -> new Pick(Side.OURS);
            case "theirs" -> new Pick(Side.THEIRS);
            case "base" -> new Pick(Side.BASE);
            case "fail" -> new Fail();
            case "task-arithmetic" -> new TaskArithmetic(lambdaOurs, lambdaTheirs);
            case "ties" -> new Ties(density, lambdaOurs, lambdaTheirs);
            case "dare" -> new Dare(p, seed, lambdaOurs, lambdaTheirs);
            case "slerp" -> new Slerp(t);
            case "fisher" -> new FisherMerge(lambdaOurs, lambdaTheirs, fisherFloor);
            default -> throw new IllegalArgumentException("unknown merge strategy '" + name
                    + "' (known: average, ours, theirs, base, fail, task-arithmetic, ties, dare, slerp, fisher)");
        };
    }
}
