package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code theta.merge.*} configures: the strategy for parameters changed on both sides, rules that override it
 * per parameter (first match wins), what to do with non-float parameters changed on both sides, and where Fisher
 * files are.
 *
 * @param scope      which parameters the strategy's formula applies to, unless a rule says otherwise
 * @param nonFloat   for a parameter that is not F64/F32/F16/BF16 and needs arithmetic: take ours, theirs, or
 *                   (empty, the default) leave a conflict
 * @param fisherOurs a checkpoint file with the diagonal Fisher of ours, same parameter names
 * @param fisherAt   a path, relative to the repository top, of a Fisher checkpoint read at each side's commit;
 *                   used for a side without a Fisher file
 */
public record MergeConfig(
        MergeStrategy strategy,
        Scope scope,
        List<Rule> rules,
        Optional<Side> nonFloat,
        Optional<String> fisherOurs,
        Optional<String> fisherTheirs,
        Optional<String> fisherAt)
        implements ParamStrategies {
    public static final MergeConfig DEFAULT = parse(Map.of());

    public MergeConfig {
        rules = List.copyOf(rules);
    }

    /** The strategy for one parameter changed on both sides. */
    @Override
    public MergeStrategy strategyFor(String param) {
        for (Rule r : rules) if (r.matches(param)) return r.strategy();
        return strategy;
    }

    /** The scope of one parameter: that of the first rule matching it, else the configured one. */
    @Override
    public Scope scopeFor(String param) {
        for (Rule r : rules) if (r.matches(param)) return r.scope();
        return scope;
    }

    /** Whether any parameter may be merged with Fisher weights, so that Fisher files must be opened. */
    public boolean usesFisher() {
        return strategy instanceof FisherMerge || rules.stream().anyMatch(r -> r.strategy() instanceof FisherMerge);
    }

    /**
     * Builds the configuration from {@code theta.merge.<key>} values, keys without the prefix, case-insensitive;
     * {@code rule} may have several values, others use their last.
     */
    public static MergeConfig parse(Map<String, List<String>> entries) {
        StrategyOptions options = StrategyOptions.DEFAULTS;
        String strategy = "average";
        String nonFloat = "conflict";
        Scope scope = Scope.CHANGED;
        List<String> ruleTexts = new ArrayList<>();
        Optional<String> fisherOurs = Optional.empty();
        Optional<String> fisherTheirs = Optional.empty();
        Optional<String> fisherAt = Optional.empty();
        for (Map.Entry<String, List<String>> e : entries.entrySet()) {
            String key = e.getKey().toLowerCase(Locale.ROOT);
            List<String> values = e.getValue();
            if (values.isEmpty()) continue;
            String last = values.getLast();
            if (StrategyOptions.isOption(key)) {
                options = options.with(key, last);
                continue;
            }
            switch (key) {
                case "strategy" -> strategy = last;
                case "scope" -> scope = Scope.parse(last);
                case "rule" -> ruleTexts.addAll(values);
                case "nonfloat" -> nonFloat = last;
                case "fisherours" -> fisherOurs = Optional.of(last);
                case "fishertheirs" -> fisherTheirs = Optional.of(last);
                case "fisherat" -> fisherAt = Optional.of(last);
                default -> throw new IllegalArgumentException("unknown setting theta.merge." + e.getKey());
            }
        }
        List<Rule> rules = new ArrayList<>();
        for (String text : ruleTexts) rules.add(Rule.parse(text, options, scope));
        Optional<Side> nf = switch (nonFloat.toLowerCase(Locale.ROOT)) {
            case "ours" -> Optional.of(Side.OURS);
            case "theirs" -> Optional.of(Side.THEIRS);
            case "conflict" -> Optional.empty();
            default ->
                throw new IllegalArgumentException(
                        "theta.merge.nonFloat '" + nonFloat + "' is not ours, theirs or conflict");
        };
        return new MergeConfig(options.strategy(strategy), scope, rules, nf, fisherOurs, fisherTheirs, fisherAt);
    }
}
