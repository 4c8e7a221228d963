package org.gittheta.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.gittheta.cli.demo.DemoCommand;
import org.gittheta.cli.history.DiffCommand;
import org.gittheta.cli.history.LogCommand;
import org.gittheta.cli.history.ShowCommand;
import org.gittheta.cli.merge.MergeCommand;
import org.gittheta.cli.merge.MergeDriverCommand;
import org.gittheta.cli.plumbing.FilterProcessCommand;
import org.gittheta.cli.plumbing.HookCommand;
import org.gittheta.cli.setup.EnvCommand;
import org.gittheta.cli.setup.InstallCommand;
import org.gittheta.cli.setup.ManCommand;
import org.gittheta.cli.setup.ManFallbackCommand;
import org.gittheta.cli.setup.TrackCommand;
import org.gittheta.cli.setup.UninstallCommand;
import org.gittheta.cli.setup.UntrackCommand;
import org.gittheta.cli.store.AddCommand;
import org.gittheta.cli.store.CheckoutCommand;
import org.gittheta.cli.store.FetchCommand;
import org.gittheta.cli.store.FsckCommand;
import org.gittheta.cli.store.GcCommand;
import org.gittheta.cli.store.LsFilesCommand;
import org.gittheta.cli.store.PullCommand;
import org.gittheta.cli.store.PushCommand;
import org.gittheta.cli.store.SquashCommand;
import org.gittheta.cli.store.StatusCommand;
import org.gittheta.text.Printable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code git theta ...}: the only place that prints for humans or exits. */
@Command(
        name = "git-theta",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Model checkpoints under Git: per-parameter storage, real model merges, parameter-level history.")
public final class Main implements Runnable {
    private static final List<Class<?>> SUBCOMMANDS = List.of(
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
            FsckCommand.class,
            GcCommand.class,
            StatusCommand.class,
            LsFilesCommand.class,
            SquashCommand.class,
            FetchCommand.class,
            PullCommand.class,
            CheckoutCommand.class,
            PushCommand.class,
            HookCommand.class,
            EnvCommand.class,
            ManCommand.class,
            ManFallbackCommand.class);

    /** The commands that read the whole command tree: help, and the manual pages (install places them). */
    private static final Set<String> WHOLE_TREE = Set.of("help", "man", "man-fallback", "install");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int exit;
        try {
            exit = execute(args);
        } catch (OutOfMemoryError e) {
            // the launcher bounds the heap of the commands that stream; what still grows with a checkpoint is its
            // number of tensors (a manifest's entries), so the user gets the limit and the way to raise it
            System.err.println("git-theta: out of memory: the Java heap's limit of "
                    + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB was reached (a checkpoint of very many tensors?); raise it for this command with"
                    + " GIT_THETA_JAVA_OPTS=-Xmx1g");
            exit = 1;
        }
        System.exit(exit);
    }

    static int execute(String... args) {
        Optional<Callable<Integer>> fast = FastPath.command(args);
        if (fast.isPresent()) {
            try {
                return fast.get().call();
            } catch (Exception e) {
                return failed(e, new PrintWriter(System.err, true));
            }
        }
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> command : reachableCommands(args)) cl.addSubcommand(command);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd.getErr()));
        cl.setParameterExceptionHandler((e, parsed) -> usageError(e));
        return cl.execute(args);
    }

    /**
     * A command line that does not parse: one line, as git gives it, instead of picocli's whole usage, and git's exit
     * status (129 for a usage error; 1 for a command that does not exist, as {@code git frob}).
     */
    private static int usageError(CommandLine.ParameterException e) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^git-theta", "git theta");
        boolean root = cmd.getParent() == null;
        String what = e.getMessage().replaceFirst("\\.$", "");
        int exit = 129;
        if (e instanceof CommandLine.UnmatchedArgumentException u
                && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().getFirst();
            exit = root && !arg.startsWith("-") ? 1 : 129;
            what = exit == 1
                    ? "'" + arg + "' is not a git-theta command"
                    : (arg.startsWith("-") ? "unknown option '" : "unexpected argument '") + arg + "'";
            List<String> similar = u.getSuggestions();
            if (!similar.isEmpty()) what += "; did you mean '" + String.join("' or '", similar) + "'?";
        } else if (!what.isEmpty()) {
            what = Character.toLowerCase(what.charAt(0)) + what.substring(1);
        }
        cmd.getErr().println("git-theta: " + Printable.escape(what) + " (see '" + name + " -h')");
        cmd.getErr().flush();
        return exit;
    }

    /** A command that threw: one line for what the user can act on, the stack for our own bugs. */
    private static int failed(Exception e, PrintWriter err) {
        if (e instanceof UserException || e instanceof IOException) {
            err.println("git-theta: " + Printable.escape(message(e)));
        } else {
            err.println("git-theta: internal error: " + e);
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** What failed; a file Java names without a reason (its message is then the path alone) with what happened. */
    private static String message(Exception e) {
        if (e instanceof FileSystemException f && f.getReason() == null) {
            String what = switch (f) {
                case NoSuchFileException _ -> "no such file or directory";
                case AccessDeniedException _ -> "permission denied";
                case FileAlreadyExistsException _ -> "file exists";
                case NotDirectoryException _ -> "not a directory";
                case DirectoryNotEmptyException _ -> "directory not empty";
                default -> null;
            };
            if (what != null) return f.getMessage() + ": " + what;
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * The subcommands to register for these arguments. picocli introspects every registered command class up front,
     * from class files too old for the JVM's start-up cache, so registering all of them was most of the start-up of
     * every command that git's own drivers did not skip. A command, and {@code --version}, register only what they
     * run; help, the manual pages, no command and an unknown one see the whole tree.
     */
    static List<Class<?>> reachableCommands(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) return List.of();
        if (args.length == 0 || WHOLE_TREE.contains(args[0])) return SUBCOMMANDS;
        List<Class<?>> named = SUBCOMMANDS.stream()
                .filter(c -> c.getAnnotation(Command.class).name().equals(args[0]))
                .toList();
        return named.isEmpty() ? SUBCOMMANDS : named;
    }

    /** The command line with every command: what help and the manual pages describe. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> command : SUBCOMMANDS) cl.addSubcommand(command);
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildVersion.current().describe()};
        }
    }
}
