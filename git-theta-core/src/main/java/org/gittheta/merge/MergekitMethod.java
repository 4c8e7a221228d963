package org.gittheta.merge;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The mergekit merge methods git-theta runs, with the git-theta strategy each maps to and the parameters mergekit
 * declares for it: global ones (read from the top-level {@code parameters} only) and per-model ones (read from a
 * model's {@code parameters}, falling back to the top-level ones). A parameter without a default is a required
 * parameter; flags ({@code normalize}, {@code rescale}, {@code int8_mask}, {@code filter_wise}) read as 1 or 0.
 */
public enum MergekitMethod {
    LINEAR("linear", "average", false, Map.of("normalize", 1.0), Map.of("weight", Default.REQUIRED)),
    TASK_ARITHMETIC("task_arithmetic", "task-arithmetic", false, gta(0, 0), taskVector()),
    TIES("ties", "ties", true, gta(1, 0), taskVector()),
    DARE_TIES("dare_ties", "dare-ties", true, gta(0, 1), taskVector()),
    DARE_LINEAR("dare_linear", "dare", false, gta(0, 1), taskVector()),
    BREADCRUMBS("breadcrumbs", "breadcrumbs", false, gta(0, 0), breadcrumbs()),
    MODEL_STOCK("model_stock", "model-stock", false, Map.of("filter_wise", 0.0), Map.of()),
    SLERP("slerp", "slerp", false, Map.of("t", Default.REQUIRED), Map.of());

    private static final Set<String> FLAGS = Set.of("normalize", "rescale", "int8_mask", "filter_wise");

    /** Held apart because an enum's constants cannot read its own static fields. */
    private static final class Default {
        /** Marks a parameter without a default (Map.of takes no nulls). */
        static final double REQUIRED = Double.NaN;
    }

    private final String mergekitName;
    private final String strategy;
    private final boolean signElection;
    private final Map<String, Optional<Double>> globalParameters;
    private final Map<String, Optional<Double>> modelParameters;

    MergekitMethod(
            String mergekitName,
            String strategy,
            boolean signElection,
            Map<String, Double> globalParameters,
            Map<String, Double> modelParameters) {
        this.mergekitName = mergekitName;
        this.strategy = strategy;
        this.signElection = signElection;
        this.globalParameters = optionals(globalParameters);
        this.modelParameters = optionals(modelParameters);
    }

    /** The generalised task-arithmetic methods' global parameters with their per-method defaults. */
    private static Map<String, Double> gta(double normalize, double rescale) {
        return Map.of("int8_mask", 0.0, "normalize", normalize, "rescale", rescale, "lambda", 1.0);
    }

    /** The per-model parameters of the generalised task-arithmetic methods. */
    private static Map<String, Double> taskVector() {
        return Map.of("weight", Default.REQUIRED, "density", 1.0);
    }

    /** Breadcrumbs also drops the {@code gamma} fraction of largest differences. */
    private static Map<String, Double> breadcrumbs() {
        return Map.of("weight", Default.REQUIRED, "density", 1.0, "gamma", 0.01);
    }

    private static Map<String, Optional<Double>> optionals(Map<String, Double> defaults) {
        return defaults.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(
                        Map.Entry::getKey, e -> e.getValue().isNaN() ? Optional.empty() : Optional.of(e.getValue())));
    }

    /** The name mergekit gives this method ({@code merge_method}). */
    public String mergekitName() {
        return mergekitName;
    }

    /** The git-theta strategy that computes this method. */
    public String strategy() {
        return strategy;
    }

    /** Whether TIES sign election (mergekit's {@code consensus_method: sum}) follows the sparsification. */
    public boolean signElection() {
        return signElection;
    }

    /** Global parameters with their defaults (empty: required). */
    public Map<String, Optional<Double>> globalParameters() {
        return globalParameters;
    }

    /** Per-model parameters with their defaults (empty: required for every model but the base). */
    public Map<String, Optional<Double>> modelParameters() {
        return modelParameters;
    }

    /** Whether {@code parameter} is a true/false flag rather than a number. */
    static boolean isFlag(String parameter) {
        return FLAGS.contains(parameter);
    }

    /** The method mergekit calls {@code name}, if git-theta runs it. */
    static Optional<MergekitMethod> byMergekitName(String name) {
        return Arrays.stream(values()).filter(m -> m.mergekitName.equals(name)).findFirst();
    }

    /** The mergekit names git-theta accepts, for error messages. */
    static String supportedNames() {
        return Arrays.stream(values()).map(m -> m.mergekitName).collect(Collectors.joining(", "));
    }
}
