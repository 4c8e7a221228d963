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

    /**
     * Tensors large enough that a sample places each k-th in a window of buckets first: values spread out, values
     * from a few (as bf16 task vectors are), and values where the sampled chunks mislead (every 16th chunk holds the
     * large ones, or the small ones), placing the k-th below or above its window, which must take two more passes.
     * Two sets at once, on every core, as TIES ranks them.
     */
    @Test
    void largeSetsSampledFirstGiveWhatSortingGives() {
        int n = 3 << 20;
        int chunk = 4096;
        Random r = new Random(5);
        float[] spread = new float[n];
        float[] few = new float[n];
        float[] misleading = new float[n];
        float[] misleadingLow = new float[n];
        for (int i = 0; i < n; i++) {
            spread[i] = (float) Math.abs(r.nextGaussian());
            few[i] = r.nextInt(7) * 0.125f;
            misleading[i] = (i / chunk) % 16 == 0 ? 1 + r.nextFloat() : r.nextFloat();
            misleadingLow[i] = (i / chunk) % 16 == 0 ? 0.5f : 1 + r.nextFloat();
        }
        for (float[][] sets : new float[][][] {{spread, few}, {misleading, spread}, {few, misleadingLow}}) {
            long[] k = {1 + r.nextInt(n), n / 5};
            float[] kth = TopK.kthLargest(n, k, () -> (from, count, dst) -> {
                for (int s = 0; s < sets.length; s++) System.arraycopy(sets[s], (int) from, dst[s], 0, count);
            });
            for (int s = 0; s < sets.length; s++) {
                float[] sorted = sets[s].clone();
                Arrays.sort(sorted);
                assertThat(kth[s]).as("set %d, k %d", s, k[s]).isEqualTo(sorted[n - (int) k[s]]);
            }
        }
    }
}
