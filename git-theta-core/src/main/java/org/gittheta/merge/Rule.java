package org.gittheta.merge;

import org.gittheta.text.NameGlob;

/**
 * A per-parameter rule, {@code "<glob> <strategy> [k=v ...] [scope=changed|all]"}: parameters whose name matches
 * the glob ({@code *} any characters, {@code ?} one character, the rest literal) are merged with that strategy,
 * over that scope.
 */
public record Rule(String glob, MergeStrategy strategy, Scope scope) {
    public boolean matches(String param) {
        return NameGlob.of(glob).matcher(param).matches();
    }

    /** Parses a rule's text; options and scope not given come from {@code defaults} and {@code defaultScope}. */
    public static Rule parse(String text, StrategyOptions defaults, Scope defaultScope) {
        String[] words = text.strip().split("\\s+");
        if (words.length < 2)
            throw new IllegalArgumentException("merge rule '" + text + "' is not '<glob> <strategy> [k=v ...]'");
        StrategyOptions options = defaults;
        Scope scope = defaultScope;
        for (int i = 2; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("merge rule '" + text + "': '" + words[i] + "' is not k=v");
            String key = words[i].substring(0, eq);
            String value = words[i].substring(eq + 1);
            if (key.equalsIgnoreCase("scope")) scope = Scope.parse(value);
            else options = options.with(key, value);
        }
        return new Rule(words[0], options.strategy(words[1]), scope);
    }
}
