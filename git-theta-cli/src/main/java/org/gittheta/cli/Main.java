package org.gittheta.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code git theta ...}: the only place that prints for humans or exits. */
@Command(name = "git-theta", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Model checkpoints under Git: per-parameter storage, real model merges, parameter-level history.")
public final class Main implements Runnable {
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            CommandLine.HelpCommand.class,
            InstallCommand.class,
            TrackCommand.class,
            UntrackCommand.class,
            FilterProcessCommand.class,
            MergeCommand.class,
            MergeDriverCommand.class,
            DemoCommand.class,
            AddCommand.class,
            DiffCommand.class,
            LogCommand.class,
            ShowCommand.class,
            FetchCommand.class,
            PullCommand.class,
            PushCommand.class,
            HookCommand.class);

    @Spec CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> command : reachableCommands(args)) cl.addSubcommand(command);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof UserException || e instanceof IOException) {
                err.println("git-theta: " + e.getMessage());
            } else {
                err.println("git-theta: internal error: " + e);
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * The subcommands these arguments can reach. picocli introspects every registered command class up front, a
     * good part of the start-up of a JVM that git starts for every filter process and merge (docs/performance.md).
     */
    static List<Class<?>> reachableCommands(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) return List.of();
        if (args.length == 0 || args[0].equals("help")) return SUBCOMMANDS;
        return SUBCOMMANDS.stream().filter(c -> c.getAnnotation(Command.class).name().equals(args[0])).findFirst()
                .<List<Class<?>>>map(List::of).orElse(SUBCOMMANDS);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"git-theta " + (v == null ? "development build" : v)};
        }
    }
}
