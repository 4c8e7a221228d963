package org.gittheta.cli;

import java.util.Locale;

/** Sizes and counts for people. */
public final class Sizes {
    private Sizes() {}

    /** Bytes with a binary suffix: 3.0 MiB. */
    public static String human(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1023.95 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** The noun for {@code n} of it: "element" for 1, "elements" otherwise. */
    public static String plural(long n, String noun) {
        return n == 1 ? noun : noun + "s";
    }

    /** A count with a metric suffix: 1.3M, 22.7K, 512. */
    public static String count(long n) {
        if (n < 1000) return Long.toString(n);
        String[] units = {"K", "M", "G", "T", "P"};
        double v = n;
        int u = -1;
        while (v >= 999.95 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
