package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ShuffleTest {
    @Property(tries = 300)
    void shufflePutsEachByteOfAnElementInItsOwnPlane(@ForAll byte[] in, @ForAll @IntRange(min = 1, max = 8) int width) {
        byte[] out = Shuffle.shuffle(in, in.length, width);
        int n = in.length / width;
        for (int e = 0; e < n; e++) {
            for (int b = 0; b < width; b++) assertThat(out[b * n + e]).isEqualTo(in[e * width + b]);
        }
        for (int t = n * width; t < in.length; t++) assertThat(out[t]).isEqualTo(in[t]);
        byte[] back = new byte[in.length];
        Shuffle.unshuffle(out, in.length, width, back);
        assertThat(back).isEqualTo(in);
    }
}
