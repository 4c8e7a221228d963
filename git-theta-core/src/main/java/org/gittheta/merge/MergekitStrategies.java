package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A mergekit configuration as the strategies of one checkpoint's parameters: each tensor's strategy carries the
 * weights, densities and λ the configuration gives that tensor (filters and gradients evaluated for its name and
 * layer), over every parameter (scope {@code all}, as mergekit merges). The merge's models are the configuration's
 * in {@link #modelOrder} order. A value git-theta cannot compute as mergekit does is refused naming the file, the
 * setting and the tensor.
 */
public final class MergekitStrategies implements ParamStrategies {
    private final MergekitConfig config;
    private final List<Integer> order;
    private final int layers;
    private final Map<String, MergeStrategy> byTensor = new ConcurrentHashMap<>();

    /**
     * @param tensorNames the checkpoint's parameter names, which give its number of layers
     * @throws MergekitConfigException when the configuration's slice does not span those layers
     */
    public MergekitStrategies(MergekitConfig config, Iterable<String> tensorNames) {
        this.config = config;
        this.order = modelOrder(config);
        this.layers = MergekitConfig.layerCount(tensorNames);
        config.requireLayers(layers);
    }

    /**
     * The merge's models as indexes into {@link MergekitConfig#models()}: for {@code slerp} the base then the other
     * model (t = 0 is the base), for {@code linear} every model, for the task-vector methods the models other than
     * the base.
     */
    public static List<Integer> modelOrder(MergekitConfig config) {
        List<Integer> order = new ArrayList<>();
        int base = config.baseIndex().orElse(-1);
        if (config.method() == MergekitMethod.SLERP) order.add(base);
        for (int i = 0; i < config.models().size(); i++) {
            if (i != base || config.method() == MergekitMethod.LINEAR) order.add(i);
        }
        return List.copyOf(order);
    }

    /**
     * Evaluates the strategy of every tensor, so that a value that cannot be honoured fails before anything is merged.
     *
     * @throws MergekitConfigException naming the file, the value and the tensor
     */
    public void check(Iterable<String> tensorNames) {
        for (String name : tensorNames) strategyFor(name);
    }

    @Override
    public MergeStrategy strategyFor(String param) {
        return byTensor.computeIfAbsent(param, this::build);
    }

    @Override
    public Scope scopeFor(String param) {
        return Scope.ALL;
    }

    private MergeStrategy build(String name) {
        try {
            return switch (config.method()) {
                case LINEAR -> {
                    require(name, "normalize", 1, "a linear merge without normalize is not a weighted average");
                    yield new Average(perModel("weight", name));
                }
                case TASK_ARITHMETIC -> new TaskArithmetic(scaledWeights(name));
                case TIES -> {
                    noRescale(name);
                    yield new Ties(
                            perModel("density", name),
                            PerModel.of(global("lambda", name)),
                            perModel("weight", name),
                            global("normalize", name) != 0);
                }
                case DARE_LINEAR, DARE_TIES -> {
                    require(name, "rescale", 1, "git-theta's DARE always rescales kept entries by 1/(1 - p)");
                    boolean ties = config.method() == MergekitMethod.DARE_TIES;
                    if (ties) require(name, "normalize", 0, "git-theta's dare-ties sums the agreeing entries");
                    double density = single("density", name);
                    PerModel lambda = ties ? weighted(name, 1) : scaledWeights(name);
                    yield new Dare(density >= 1 ? 0 : 1 - density, 0, lambda, ties);
                }
                case BREADCRUMBS -> {
                    noRescale(name);
                    yield new Breadcrumbs(perModel("density", name), single("gamma", name), scaledWeights(name));
                }
                case MODEL_STOCK -> {
                    require(name, "filter_wise", 0, "git-theta's model-stock takes each tensor as one vector");
                    yield new ModelStock();
                }
                case SLERP -> new Slerp(global("t", name));
            };
        } catch (MergekitConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw config.refusal(e.getMessage() + " at tensor " + name);
        }
    }

    private PerModel perModel(String parameter, String name) {
        List<Double> values = new ArrayList<>();
        for (int i : order) values.add(config.modelValue(parameter, i, name, layers));
        return new PerModel(values);
    }

    private double global(String parameter, String name) {
        return config.globalValue(parameter, name, layers);
    }

    /** mergekit's λ · w_j, divided by Σ w (or 1 when |Σ w| < 1e-8) when {@code normalize} is set. */
    private PerModel scaledWeights(String name) {
        double divisor = 1;
        if (global("normalize", name) != 0) {
            double sum = 0;
            for (double w : perModel("weight", name).values()) sum += w;
            divisor = Math.abs(sum) < 1e-8 ? 1 : sum;
        }
        return weighted(name, divisor);
    }

    private PerModel weighted(String name, double divisor) {
        double lambda = global("lambda", name);
        return new PerModel(perModel("weight", name).values().stream()
                .map(w -> lambda * w / divisor)
                .toList());
    }

    /** A per-model parameter that git-theta's strategy takes once for all models. */
    private double single(String parameter, String name) {
        PerModel values = perModel(parameter, name);
        if (!values.uniform()) {
            throw config.refusal(config.method().mergekitName() + " takes one " + parameter
                    + " for all models here, not " + values.text() + " at tensor " + name);
        }
        return values.values().getFirst();
    }

    private void noRescale(String name) {
        require(name, "rescale", 0, "git-theta does not rescale the sparsified task vectors");
    }

    private void require(String name, String flag, double value, String why) {
        if (global(flag, name) != value) {
            throw config.refusal(config.method().mergekitName() + " with " + flag + ": " + (value == 0) + " at tensor "
                    + name + " is not supported (" + why + ")");
        }
    }
}
