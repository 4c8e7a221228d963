package org.gittheta.cli.setup;

import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Git's last man viewer (install lists it after {@code man} in {@code man.viewer}): git reaches it only when it could
 * not run {@code man}, so that {@code git theta --help} still prints the help instead of "no man viewer handled the
 * request".
 */
@Command(
        name = "man-fallback",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = "Show a git-theta help page as text when git cannot run man (git runs this as a man viewer).")
public final class ManFallbackCommand implements java.util.concurrent.Callable<Integer> {
    static final String VIEWER = "git-theta";

    @Parameters(index = "0", paramLabel = "<page>", description = "the manual page git asked for, e.g. git-theta-track")
    String page;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Optional<CommandLine> command = commandFor(spec.root().commandLine(), page);
        if (command.isEmpty()) {
            System.err.println("git-theta: 'man' is not installed, so git cannot show the manual page " + page
                    + ": install it (e.g. 'apt-get install man-db'); 'git <command> -h' prints a short usage");
            return 1;
        }
        String name = command.get().getCommandSpec().qualifiedName(" ");
        System.err.println("git-theta: 'man' is not installed; the help of '" + name + "' follows "
                + "(install man-db for the manual page)");
        command.get().usage(System.out);
        return 0;
    }

    private static Optional<CommandLine> commandFor(CommandLine root, String page) {
        String name = root.getCommandName();
        if (page.equals(name)) return Optional.of(root);
        if (!page.startsWith(name + "-")) return Optional.empty();
        return Optional.ofNullable(root.getSubcommands().get(page.substring(name.length() + 1)));
    }
}
