package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * NaN and infinite values a merge produced: counted, so that the report says so instead of committing them silently,
 * and every NaN written as the one quiet NaN of its dtype (positive, no payload). An operation on two NaNs passes on
 * one of them, and which one depends on the operand order the JIT compiled; without this the same merge of the same
 * versions stored different bytes from one run to the next.
 */
final class NonFinite {
    private NonFinite() {}

    /** Empty when every value is finite, else a note such as {@code "result has 3 NaN, 1 infinite"}. */
    static String canonicalise(TensorView result) {
        if (result.allFinite()) return "";
        long[] counts = new long[2];
        double[] chunk = new double[Chunks.SIZE];
        Chunks.forEach(result.count(), (from, count) -> {
            result.get(from, chunk, count);
            for (int i = 0; i < count; i++) {
                if (Double.isNaN(chunk[i])) {
                    counts[0]++;
                    result.set(from + i, Double.NaN);
                } else if (Double.isInfinite(chunk[i])) {
                    counts[1]++;
                }
            }
        });
        long nan = counts[0];
        long inf = counts[1];
        return nan + inf == 0 ? "" : "result has " + nan + " NaN, " + inf + " infinite";
    }
}
