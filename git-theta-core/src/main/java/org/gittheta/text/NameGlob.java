package org.gittheta.text;

import java.util.regex.Pattern;

/**
 * A glob over parameter names, as merge rules and {@code git theta log --param} take it: {@code *} any characters
 * (dots included), {@code ?} one character, the rest literal. A name is text, not a path: any name can be matched.
 */
public final class NameGlob {
    private NameGlob() {}

    public static Pattern of(String glob) {
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
