package org.gittheta.cli.setup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.gittheta.cli.BuildVersion;
import org.gittheta.cli.Launcher;
import org.gittheta.store.AtomicFile;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Manual pages in troff, rendered from the picocli model so that they say what {@code --help} says. Git turns
 * {@code git theta --help} into {@code man git-theta}: without these pages that prints "No manual entry".
 */
final class ManPages {
    private ManPages() {}

    /**
     * Where install puts the pages: {@code share/man/man1} beside the launcher's {@code bin}. man finds it with its
     * default search path whenever that {@code bin} is on PATH, which {@code git theta} needs anyway.
     */
    static Path dir() {
        return Launcher.path()
                .getParent()
                .resolveSibling("share")
                .resolve("man")
                .resolve("man1");
    }

    /** File name to page: {@code git-theta.1}, then {@code git-theta-<command>.1} for every command shown in help. */
    static Map<String, String> render(CommandLine root) {
        Map<String, String> pages = new LinkedHashMap<>();
        String version = BuildVersion.current().describe();
        pages.put(pageName(root.getCommandSpec()) + ".1", page(root.getCommandSpec(), version));
        for (CommandSpec sub : visibleSubcommands(root.getCommandSpec())) {
            pages.put(pageName(sub) + ".1", page(sub, version));
        }
        return pages;
    }

    /** Writes every page into {@code dir}, each replaced whole; returns how many. */
    static int write(CommandLine root, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> pages = render(root);
        for (Map.Entry<String, String> page : pages.entrySet()) {
            byte[] troff = page.getValue().getBytes(StandardCharsets.UTF_8);
            // like git's work-tree files, not forced to disk: every install writes them again
            AtomicFile.replaceWorkTreeFile(dir.resolve(page.getKey()), out -> out.write(troff), Optional.empty());
        }
        return pages.size();
    }

    /** Removes every git-theta page from {@code dir} (also of commands that no longer exist); returns how many. */
    static int remove(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        List<Path> ours = new ArrayList<>();
        try (DirectoryStream<Path> pages = Files.newDirectoryStream(dir, "git-theta{,-*}.1")) {
            pages.forEach(ours::add);
        }
        for (Path page : ours) Files.deleteIfExists(page);
        return ours.size();
    }

    static List<CommandSpec> visibleSubcommands(CommandSpec spec) {
        List<CommandSpec> out = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            // the map holds aliases too: each command once, under its own name
            if (e.getKey().equals(sub.name()) && !sub.usageMessage().hidden()) out.add(sub);
        }
        return out;
    }

    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    private static String page(CommandSpec spec, String version) {
        var help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        List<String> description = formatted(spec.usageMessage().description());
        StringBuilder t = new StringBuilder();
        t.append(".TH \"")
                .append(pageName(spec).toUpperCase(Locale.ROOT))
                .append("\" 1 \"\" \"")
                .append(escape(version))
                .append("\" \"Git Manual\"\n");
        t.append(".SH NAME\n")
                .append(escape(pageName(spec)))
                .append(" \\- ")
                .append(escape(description.isEmpty() ? "" : description.getFirst()))
                .append('\n');
        String synopsis = help.synopsis(0).stripTrailing().replace("git-theta ", "git theta ");
        t.append(".SH SYNOPSIS\n.nf\n").append(text(synopsis)).append("\n.fi\n");
        t.append(".SH DESCRIPTION\n");
        for (String line : description) t.append(text(line)).append("\n.PP\n");
        if (!spec.positionalParameters().isEmpty()) {
            t.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (!p.hidden()) item(t, p.paramLabel(), formatted(p.description()));
            }
        }
        if (!spec.options().isEmpty()) {
            t.append(".SH OPTIONS\n");
            for (OptionSpec o : spec.options()) {
                if (o.hidden()) continue;
                String label = String.join(", ", o.names()) + (o.typeInfo().isBoolean() ? "" : " " + o.paramLabel());
                item(t, label, formatted(o.description()));
            }
        }
        List<CommandSpec> subs = visibleSubcommands(spec);
        if (!subs.isEmpty()) {
            t.append(".SH COMMANDS\n");
            for (CommandSpec sub : subs) {
                List<String> d = formatted(sub.usageMessage().description());
                String summary = (d.isEmpty() ? "" : d.getFirst() + " ") + "See " + pageName(sub) + "(1).";
                item(t, "git theta " + sub.name(), List.of(summary));
            }
        }
        t.append(".SH SEE ALSO\n");
        String seeAlso = spec.parent() == null
                ? "git(1), gitattributes(5)"
                : "git-theta(1), git theta " + spec.name() + " --help";
        t.append(escape(seeAlso)).append('\n');
        return t.toString();
    }

    private static void item(StringBuilder t, String label, List<String> description) {
        t.append(".TP\n\\fB").append(escape(label)).append("\\fR\n");
        t.append(text(String.join(" ", description))).append('\n');
    }

    /** Descriptions as help prints them: picocli treats them as format strings ({@code %n}, {@code %%}). */
    private static List<String> formatted(String[] lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            try {
                out.add(String.format(Locale.ROOT, line));
            } catch (IllegalFormatException e) {
                out.add(line);
            }
        }
        return out;
    }

    /** Text lines for troff: a line starting with a dot or quote would be read as a request. */
    private static String text(String s) {
        return escape(s)
                .lines()
                .map(l -> l.startsWith(".") || l.startsWith("'") ? "\\&" + l : l)
                .reduce((a, b) -> a + "\n" + b)
                .orElse("");
    }

    private static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
