package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PruneExpiryTest {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void gitsWaysOfWritingTheAge() {
        assertThat(PruneExpiry.cutoff("now", NOW)).isEqualTo(NOW);
        assertThat(PruneExpiry.cutoff(PruneExpiry.DEFAULT, NOW)).isEqualTo(NOW.minus(Duration.ofDays(14)));
        assertThat(PruneExpiry.cutoff("1.week.ago", NOW)).isEqualTo(NOW.minus(Duration.ofDays(7)));
        assertThat(PruneExpiry.cutoff("3 hours ago", NOW)).isEqualTo(NOW.minus(Duration.ofHours(3)));
        assertThat(PruneExpiry.cutoff("90.minutes.ago", NOW)).isEqualTo(NOW.minus(Duration.ofMinutes(90)));
        assertThat(PruneExpiry.cutoff("never", NOW)).isEqualTo(Instant.MIN);
    }

    @Test
    void isoDatesAreUtcUnlessTheySayOtherwise() {
        assertThat(PruneExpiry.cutoff("2026-11-01", NOW)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(PruneExpiry.cutoff("2026-11-01T08:30:00", NOW)).isEqualTo(Instant.parse("2026-11-01T08:30:00Z"));
        assertThat(PruneExpiry.cutoff("2026-11-01 08:30:00+02:00", NOW))
                .isEqualTo(Instant.parse("2026-11-01T06:30:00Z"));
    }

    @Test
    void anythingElseIsRefusedByName() {
        for (String bad : new String[] {"soon", "2.fortnights.ago", "2026-13-01", "", "-1.days.ago"}) {
            assertThatThrownBy(() -> PruneExpiry.cutoff(bad, NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot read the prune date '" + bad + "'");
        }
    }
}
