package org.gittheta.cli.setup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.gittheta.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The manual pages rendered from the real command tree. */
class ManPagesTest {
    @Test
    void thereIsAManualPageForTheProgramAndEveryCommandShownInHelp() {
        CommandLine main = Main.commandLine();
        Map<String, String> pages = ManPages.render(main);
        assertThat(pages)
                .containsKeys("git-theta.1", "git-theta-track.1", "git-theta-uninstall.1", "git-theta-env.1")
                .doesNotContainKeys("git-theta-filter-process.1", "git-theta-merge-driver.1", "git-theta-hook.1");
        // one page per command of the real tree that help lists (hidden ones have none), plus the program's own
        List<String> listed = main.getSubcommands().entrySet().stream()
                .filter(e -> e.getKey().equals(e.getValue().getCommandName()))
                .filter(e -> !e.getValue().getCommandSpec().usageMessage().hidden())
                .map(e -> "git-theta-" + e.getKey() + ".1")
                .toList();
        assertThat(listed).hasSizeGreaterThan(15);
        assertThat(pages.keySet()).containsAll(listed).hasSize(listed.size() + 1);
        String track = pages.get("git-theta-track.1");
        assertThat(track)
                .startsWith(".TH \"GIT-THETA-TRACK\" 1")
                .contains(".SH NAME\ngit\\-theta\\-track \\- Track files matching the patterns")
                .contains(".SH SYNOPSIS\n.nf\ngit theta track [\\-hV] [<pattern>...]\n.fi");
        assertThat(pages.get("git-theta.1")).contains(".SH COMMANDS").contains("\\fBgit theta untrack\\fR");
        for (Map.Entry<String, String> page : pages.entrySet()) {
            // a text line starting with a dot would be taken for a troff request
            String requests = "\\.(TH|SH|TP|PP|nf|fi)\\b.*";
            assertThat(page.getValue().lines().filter(l -> l.startsWith(".") && !l.matches(requests)))
                    .as(page.getKey())
                    .isEmpty();
        }
    }
}
