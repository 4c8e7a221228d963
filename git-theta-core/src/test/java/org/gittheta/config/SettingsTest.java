package org.gittheta.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.gittheta.merge.Side;
import org.gittheta.store.Codec;
import org.gittheta.update.UpdateKind;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SettingsTest {
    /** Entries as {@code git config -z --list --show-scope} prints them. */
    private static Settings listing(String... scopeKeyValues) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < scopeKeyValues.length; i += 2) {
            b.append(scopeKeyValues[i])
                    .append('\0')
                    .append(scopeKeyValues[i + 1])
                    .append('\0');
        }
        return Settings.parse(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Nested
    class Reading {
        @Test
        void theLastValueCountsAndAllAreKeptInOrder() {
            Settings s = listing(
                    "global",
                    "theta.merge.rule\na* ours",
                    "local",
                    "theta.merge.rule\nb* theirs",
                    "local",
                    "theta.codec\nlz4",
                    "command",
                    "theta.codec\nnone");
            assertThat(s.get("theta.codec")).contains("none");
            assertThat(s.getAll("theta.merge.rule")).containsExactly("a* ours", "b* theirs");
        }

        @Test
        void sectionAndNameIgnoreCaseTheSubsectionDoesNot() {
            Settings s = listing("local", "remote.Up.url\n/srv/up", "local", "theta.maxchaindepth\n3");
            assertThat(s.get("THETA.maxChainDepth")).contains("3");
            assertThat(s.remoteUrl("Up")).contains("/srv/up");
            assertThat(s.remoteUrl("up")).isEmpty();
        }

        @Test
        void aKeyWithoutValueIsTrueAndValuesMayHoldNewlines() {
            Settings s = listing("local", "theta.flag", "local", "theta.remote\nfirst\nsecond");
            assertThat(s.get("theta.flag")).contains("true");
            assertThat(s.get("theta.remote")).contains("first\nsecond");
        }
    }

    @Nested
    class Typed {
        @Test
        void defaultsWhenNothingIsSet() throws Exception {
            assertThat(Settings.NONE.codec()).isEqualTo(Codec.ZSTD);
            assertThat(Settings.NONE.updateOptions().maxChainDepth()).isEqualTo(8);
            assertThat(Settings.NONE.concurrentTransfers()).isEqualTo(8);
            assertThat(Settings.NONE.defaultRemote()).isEmpty();
        }

        @Test
        void transferSettingsAsGitLfsReadsThem() throws Exception {
            assertThat(listing("local", "lfs.activitytimeout\n120").activityTimeout(Duration.ofSeconds(30)))
                    .isEqualTo(Duration.ofSeconds(120));
            assertThat(Settings.NONE.activityTimeout(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(30));
            assertThat(listing("local", "lfs.transfer.maxretries\n0").transferAttempts(5))
                    .isEqualTo(1);
            assertThat(listing("local", "lfs.transfer.maxretries\n8").transferAttempts(5))
                    .isEqualTo(9);
            assertThat(Settings.NONE.transferAttempts(5)).isEqualTo(5);
        }

        @Test
        void badValuesAreRefusedNamingTheKey() {
            assertThatThrownBy(() -> listing("local", "theta.maxChainDepth\nx").updateOptions())
                    .isInstanceOf(SettingException.class)
                    .hasMessage("theta.maxChainDepth 'x' is not a non-negative number");
            assertThatThrownBy(() -> listing("local", "theta.codec\nbrotli").codec())
                    .hasMessageStartingWith("theta.codec 'brotli'");
            assertThatThrownBy(
                            () -> listing("local", "lfs.concurrenttransfers\n0").concurrentTransfers())
                    .hasMessage("lfs.concurrenttransfers '0' is not a positive number");
            assertThatThrownBy(() -> listing("local", "lfs.activitytimeout\n0").activityTimeout(Duration.ofSeconds(30)))
                    .hasMessage("lfs.activitytimeout '0' is not a positive number");
            assertThatThrownBy(() ->
                            listing("local", "theta.merge.nonFloat\nmaybe").mergeConfig())
                    .hasMessageContaining("theta.merge.nonFloat");
        }

        @Test
        void opaqueFilesAreStoredUnlessRefused() throws Exception {
            assertThat(Settings.NONE.refusesOpaque()).isFalse();
            assertThat(listing("local", "theta.opaque\nstore").refusesOpaque()).isFalse();
            assertThat(listing("local", "theta.opaque\nstore", "command", "theta.opaque\nRefuse")
                            .refusesOpaque())
                    .isTrue();
            assertThatThrownBy(() -> listing("local", "theta.opaque\nmaybe").refusesOpaque())
                    .isInstanceOf(SettingException.class)
                    .hasMessage("theta.opaque 'maybe' is not one of store, refuse");
        }

        @Test
        void lossyIsHonouredOnlyFromTheCommandLine() throws Exception {
            Settings fromCommand = listing(
                    "command",
                    "theta.updateType\nlow-rank",
                    "command",
                    "theta.rank\n4",
                    "command",
                    "theta.lossy\ntrue");
            assertThat(fromCommand.updateOptions().lossyRank()).hasValue(4);
            assertThat(fromCommand.updateOptions().forced()).contains(UpdateKind.LOW_RANK);
            assertThatThrownBy(() -> listing("local", "theta.lossy\ntrue").updateOptions())
                    .hasMessageStartingWith("theta.lossy is set in a git config file (local)");
        }

        @Test
        void updateDataIsHonouredOnlyFromTheCommandLineWithAnUpdateTypeThatTakesIt() throws Exception {
            assertThatThrownBy(() -> listing("local", "theta.updateType\nsparse", "local", "theta.updateData\n/x.pt")
                            .updateOptions())
                    .hasMessageStartingWith("theta.updateData is set in a git config file (local)");
            assertThatThrownBy(() -> listing(
                                    "command", "theta.updateType\nxor-delta", "command", "theta.updateData\n/x.pt")
                            .updateOptions())
                    .hasMessage("theta.updateData needs theta.updateType sparse, low-rank, ia3 or dense");
            Settings exact = listing("command", "theta.updateType\nlow-rank", "command", "theta.rank\n4");
            assertThat(exact.updateOptions().rank()).hasValue(4);
            assertThat(exact.updateOptions().lossyRank())
                    .as("exact factors plus residual")
                    .isEmpty();
        }

        @Test
        void mergeSettingsAndRemoteChoice() throws Exception {
            Settings s = listing(
                    "local", "theta.merge.nonFloat\ntheirs", "local", "remote.a.url\n/a", "local", "remote.b.url\n/b");
            assertThat(s.mergeConfig().nonFloat()).isEqualTo(Optional.of(Side.THEIRS));
            assertThat(s.remoteNames()).isEqualTo(List.of("a", "b"));
            assertThat(s.defaultRemote()).isEmpty();
            assertThat(listing("local", "remote.a.url\n/a").defaultRemote()).contains("a");
            assertThat(listing("local", "remote.a.url\n/a", "local", "remote.origin.url\n/o")
                            .defaultRemote())
                    .contains("origin");
            assertThat(listing("local", "remote.origin.url\n/o", "local", "theta.remote\na")
                            .defaultRemote())
                    .contains("a");
        }

        @Test
        void promisorRemotesInTheOrderGitAsksThem() throws Exception {
            assertThat(listing("local", "remote.origin.url\n/o").promisorRemotes())
                    .as("no partial clone")
                    .isEmpty();
            // a clone --filter sets both for origin; extensions.partialClone's remote is asked last, as git does
            Settings s = listing(
                    "local", "remote.origin.promisor\ntrue",
                    "local", "remote.a.promisor\nyes",
                    "local", "remote.b.promisor\nfalse",
                    "local", "extensions.partialclone\norigin");
            assertThat(s.promisorRemotes()).isEqualTo(List.of("a", "origin"));
            assertThatThrownBy(() ->
                            listing("local", "remote.a.promisor\nsometimes").promisorRemotes())
                    .hasMessage("remote.a.promisor 'sometimes' is not a boolean");
        }
    }
}
