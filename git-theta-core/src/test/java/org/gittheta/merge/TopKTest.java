package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKTest {
    @Test
    void kthLargestIsWhatSortingGives() {
        Random r = new Random(11);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(10_000); // up to a few chunks
            float[] v = new float[n];
            // few distinct values in some trials, so that ties at the threshold occur
            int distinct = trial % 2 == 0 ? 5 : Integer.MAX_VALUE;
            for (int i = 0; i < n; i++)
                v[i] = distinct == 5
                        ? r.nextInt(5) * 0.25f
                        : (float) Math.abs(r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
            float[] sorted = v.clone();
            Arrays.sort(sorted);
            int k = 1 + r.nextInt(n);
            assertThat(TopK.kthLargest(n, k, (from, dst, count) -> System.arraycopy(v, (int) from, dst, 0, count)))
                    .isEqualTo(sorted[n - k]);
        }
    }
}
