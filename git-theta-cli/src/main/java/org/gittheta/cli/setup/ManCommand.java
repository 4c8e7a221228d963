package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.gittheta.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "man",
        mixinStandardHelpOptions = true,
        description = {
            "Print a manual page (troff), or write them all into a directory.",
            "'git theta install' places them where man finds them, so that 'git theta --help' and "
                    + "'man git-theta-<command>' work; this is for packaging, or reading one with "
                    + "'git theta man track | man -l -'."
        })
public final class ManCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(
            arity = "0..1",
            paramLabel = "<command>",
            description = "the command whose page to print (default: git-theta's own)")
    Optional<String> command = Optional.empty();

    @Option(names = "--output", paramLabel = "<dir>", description = "write every page into this directory instead")
    Optional<Path> output = Optional.empty();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (output.isPresent()) {
            int n = ManPages.write(spec.root().commandLine(), output.get());
            System.err.println("git-theta: wrote " + n + " manual pages to " + output.get());
            return 0;
        }
        Map<String, String> pages = ManPages.render(spec.root().commandLine());
        String name = command.map(c -> "git-theta-" + c).orElse("git-theta") + ".1";
        String page = pages.get(name);
        if (page == null) {
            throw new UserException("no manual page for '" + command.orElse("") + "': 'git theta -h' lists commands");
        }
        System.out.print(page);
        return 0;
    }
}
