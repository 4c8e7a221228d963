package org.gittheta.merge;

import java.util.regex.Pattern;

/**
 * A per-parameter rule, {@code "<glob> <strategy> [k=v ...]"}: parameters whose name matches the glob ({@code *}
 * any characters, {@code ?} one character, the rest literal) are merged with that strategy.
 */
public record Rule(String glob, MergeStrategy strategy) {
    public boolean matches(String param) { return regex(glob).matcher(param).matches(); }

    /** Parses a rule's text; options not given come from {@code defaults}. */
    public static Rule parse(String text, StrategyOptions defaults) {
        String[] words = text.strip().split("\\s+");
        if (words.length < 2) throw new IllegalArgumentException("merge rule '" + text + "' is not '<glob> <strategy> [k=v ...]'");
        StrategyOptions options = defaults;
        for (int i = 2; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("merge rule '" + text + "': '" + words[i] + "' is not k=v");
            options = options.with(words[i].substring(0, eq), words[i].substring(eq + 1));
        }
        return new Rule(words[0], options.strategy(words[1]));
    }

    private static Pattern regex(String glob) {
        StringBuilder b = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> b.append(".*");
                case '?' -> b.append('.');
                default -> b.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(b.toString(), Pattern.DOTALL);
    }
}
