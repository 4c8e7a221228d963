package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.gittheta.cli.merge.MergeDriverCommand;
import org.gittheta.cli.plumbing.FilterProcessCommand;
import org.gittheta.cli.plumbing.HookCommand;
import org.gittheta.cli.setup.TrackCommand;
import org.gittheta.cli.store.FsckCommand;
import org.gittheta.cli.store.GcCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    @Test
    void aCommandRegistersOnlyItself() {
        assertThat(Main.reachableCommands("filter-process")).containsExactly(FilterProcessCommand.class);
        assertThat(Main.reachableCommands("merge-driver", "o", "a", "b", "p"))
                .containsExactly(MergeDriverCommand.class);
        assertThat(Main.reachableCommands("track", "*.pt")).containsExactly(TrackCommand.class);
        assertThat(Main.reachableCommands("gc", "--help")).containsExactly(GcCommand.class);
        assertThat(Main.reachableCommands("--version")).isEmpty();
    }

    @Test
    void helpUsageAndUnknownCommandsSeeEveryCommand() {
        for (String[] args : new String[][] {
            {}, {"help", "track"}, {"--help"}, {"trak"}, {"--version", "track"}, {"man"}, {"install"}
        }) {
            assertThat(Main.reachableCommands(args))
                    .as(String.join(" ", args))
                    .contains(
                            CommandLine.HelpCommand.class,
                            TrackCommand.class,
                            MergeDriverCommand.class,
                            HookCommand.class,
                            FsckCommand.class,
                            GcCommand.class)
                    .hasSize(26);
        }
    }

    @Test
    void usageWithoutArgumentsListsEveryCommand() {
        PrintStream stdout = System.out;
        var captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            assertThat(Main.execute()).isZero();
        } finally {
            System.setOut(stdout);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("Commands:", "  track ", "  merge ", "  uninstall ")
                .doesNotContain("  filter-process ", "  merge-driver ", "  hook ");
    }

    @Test
    void thePlainFormsGitRunsSkipPicocli() throws Exception {
        assertThat(FastPath.command("filter-process")).get().isInstanceOf(FilterProcessCommand.class);
        var driver = (MergeDriverCommand) FastPath.command("merge-driver", "o", "a", "b", "dir/m.safetensors")
                .orElseThrow();
        assertThat(driver)
                .usingRecursiveComparison()
                .isEqualTo(MergeDriverCommand.of(Path.of("o"), Path.of("a"), Path.of("b"), "dir/m.safetensors"));
        assertThat(FastPath.command("--version")).isPresent();
        var hook = (HookCommand) FastPath.command("hook", "pre-push", "origin", "https://h/r.git")
                .orElseThrow();
        assertThat(hook)
                .usingRecursiveComparison()
                .isEqualTo(HookCommand.of("pre-push", List.of("origin", "https://h/r.git")));
    }

    @Test
    void everyOtherFormGoesThroughPicocli() {
        for (String[] args : new String[][] {
            {},
            {"filter-process", "--help"},
            {"merge-driver", "o", "a", "b"},
            {"merge-driver", "--help", "a", "b", "p"},
            {"hook", "pre-push", "origin"},
            {"hook", "pre-push", "--help", "u"},
            {"hook", "post-checkout", "a", "b"},
            {"--version", "track"},
            {"help"},
            {"track", "x"}
        }) {
            assertThat(FastPath.command(args)).as(String.join(" ", args)).isEmpty();
        }
    }
}
