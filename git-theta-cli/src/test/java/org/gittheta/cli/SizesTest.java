package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void countsReadAsEnglish() {
        assertThat(Sizes.count(1) + " " + Sizes.plural(1, "element")).isEqualTo("1 element");
        assertThat(Sizes.count(0) + " " + Sizes.plural(0, "shard")).isEqualTo("0 shards");
        assertThat(Sizes.count(1_300_000) + " " + Sizes.plural(1_300_000, "element"))
                .isEqualTo("1.3M elements");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
    }
}
