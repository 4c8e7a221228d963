package org.gittheta.cli;

import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code git theta ...}: the only place that prints for humans or exits. */
@Command(name = "git-theta", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Model checkpoints under Git: per-parameter storage, real model merges, parameter-level history.",
        subcommands = {
            CommandLine.HelpCommand.class,
            InstallCommand.class,
            UninstallCommand.class,
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
            HookCommand.class,
            EnvCommand.class,
            ManCommand.class,
            ManFallbackCommand.class,
        })
public final class Main implements Runnable {
    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
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

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {BuildVersion.current().describe()};
        }
    }
}
