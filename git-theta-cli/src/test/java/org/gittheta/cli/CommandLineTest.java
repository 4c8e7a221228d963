package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.progress.Progress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The command tree as picocli builds it from {@link Main}: help, hidden commands, version, progress. */
class CommandLineTest {
    private static final List<String> INTERNAL = List.of("filter-process", "merge-driver", "hook");

    /** Every command of the real tree, hidden ones included, each once. */
    private static List<CommandLine> allCommands() {
        List<CommandLine> out = new ArrayList<>();
        List<CommandLine> todo = new ArrayList<>(List.of(Main.commandLine()));
        while (!todo.isEmpty()) {
            CommandLine cl = todo.removeFirst();
            out.add(cl);
            for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
                if (sub.getKey().equals(sub.getValue().getCommandName())) todo.add(sub.getValue());
            }
        }
        return out;
    }

    /** What {@code action} prints on standard error (where picocli's warnings go) and standard output. */
    private static String captured(Runnable action) {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        try {
            action.run();
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyCommandRendersItsUsageWithoutPicocliWarningsAndHasADescription() {
        List<CommandLine> commands = allCommands();
        assertThat(commands.stream().map(CommandLine::getCommandName))
                .contains(
                        "git-theta",
                        "install",
                        "uninstall",
                        "track",
                        "untrack",
                        "env",
                        "man",
                        "filter-process",
                        "hook");
        for (CommandLine cl : commands) {
            String name = cl.getCommandSpec().qualifiedName();
            String printed = captured(() -> {
                ByteArrayOutputStream usage = new ByteArrayOutputStream();
                cl.usage(new PrintStream(usage, true, StandardCharsets.UTF_8));
                System.out.print(usage.toString(StandardCharsets.UTF_8));
            });
            assertThat(printed).as(name).contains("Usage: " + name).doesNotContain("[picocli WARN]");
            assertThat(cl.getCommandSpec().usageMessage().description())
                    .as("description of %s", name)
                    .isNotEmpty();
        }
    }

    @Test
    void internalCommandsAreHiddenFromTheCommandListButStillThere() {
        CommandLine main = Main.commandLine();
        String usage = main.getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String internal : INTERNAL) {
            assertThat(usage).doesNotContainPattern("(?m)^  " + internal + "\\b");
            CommandSpec spec = main.getSubcommands().get(internal).getCommandSpec();
            assertThat(spec.usageMessage().hidden()).as(internal).isTrue();
        }
        assertThat(usage).containsPattern("(?m)^  uninstall ").containsPattern("(?m)^  env ");
        String mergeDriverHelp = captured(() -> Main.execute("merge-driver", "--help"));
        assertThat(mergeDriverHelp).contains("git runs this as '%O %A %B %P'").doesNotContain("[picocli WARN]");
    }

    @Test
    void versionNamesTheReleaseOrTheDevelopmentCommit() {
        assertThat(new BuildVersion("0.2.0", "abc1234").describe()).isEqualTo("git-theta 0.2.0");
        assertThat(new BuildVersion("0.2.0-SNAPSHOT", "abc1234").describe())
                .isEqualTo("git-theta 0.2.0 (dev, abc1234)");
        assertThat(new BuildVersion("0.2.0-SNAPSHOT", "").describe()).isEqualTo("git-theta 0.2.0 (dev)");
        // this build: version.properties written by the build from the pom
        assertThat(captured(() -> Main.execute("--version")).strip())
                .matches("git-theta \\d+\\.\\d+\\.\\d+( \\(dev(, [0-9a-f]{7,})?\\))?")
                .isEqualTo(BuildVersion.current().describe());
        assertThat(BuildVersion.current().version()).isNotEmpty();
    }

    @Test
    void progressEndsAtHundredPercentAndTheTotal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TerminalProgress progress = new TerminalProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, 0);
        try (var task = progress.start("storing m.safetensors", 3 << 20)) {
            task.advance(1 << 20);
            task.advance(2 << 20);
        }
        String[] renders = bytes.toString(StandardCharsets.UTF_8).split("\r");
        assertThat(renders[renders.length - 1])
                .startsWith("git-theta: storing m.safetensors: 100% (3.0 MiB / 3.0 MiB)")
                .endsWith("\n");

        bytes.reset();
        try (var transfer = progress.start("uploading", 300, 2)) {
            transfer.advance(100);
            transfer.itemDone();
            transfer.advance(200);
            transfer.itemDone();
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\r");
        assertThat(lines[lines.length - 1])
                .startsWith("git-theta: uploading: 100% (300 B / 300 B), ")
                .contains("objects 2/2")
                .endsWith("\n");
        assertThat(TerminalProgress.percent(5, 4)).isEqualTo(100);
        // the tests' standard error is a pipe: nothing is drawn there
        assertThat(TerminalProgress.forStderr()).isSameAs(Progress.NONE);
    }
}
