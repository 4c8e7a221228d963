package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/** Counts NaN and infinite values a merge produced, so that the report says so instead of committing them silently. */
final class NonFinite {
    private NonFinite() {}

    /** Empty when every value is finite, else a note such as {@code "result has 3 NaN, 1 infinite"}. */
    static String note(TensorView result) {
        long nan = 0;
        long inf = 0;
        for (long i = 0, n = result.count(); i < n; i++) {
            double v = result.get(i);
            if (Double.isNaN(v)) nan++;
            else if (Double.isInfinite(v)) inf++;
        }
        return nan + inf == 0 ? "" : "result has " + nan + " NaN, " + inf + " infinite";
    }
}
