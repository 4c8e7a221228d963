package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.gittheta.cli.MergeRepo.T;
import org.gittheta.tensor.DType;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;

/**
 * Tensor names are text from the file: one holding ESC could retitle or recolour the user's terminal, a newline could
 * forge a line of output, a bidi override could make a name read as another. Every command that shows names shows
 * them escaped ({@code \x1b}, {@code \x0a}, <code>&#92;u{202E}</code>), through real git and bin/git-theta.
 */
class HostileNamesEndToEndTest {
    /** Sets the terminal's title, then rings. */
    private static final String TITLE = "title\u001b]0;pwned\u0007";
    /** Forges a line of git theta's output. */
    private static final String FORGED = "forged\ngit-theta: all parameters verified";
    /** Reads backwards from the override on. */
    private static final String REVERSED = "reversed\u202ethgiew";

    /** Version v of a checkpoint with the three names; FORGED is F32 in the base, BF16 on a, F16 on b. */
    private static void commit(MergeRepo repo, String message, int v, DType forged) throws IOException {
        MergeRepo.write(
                repo.model,
                List.of(
                        T.of(TITLE, DType.F32, 1 + v, 2, 3),
                        T.of(FORGED, forged, 4, 5 + v),
                        T.of(REVERSED, DType.BF16, 6, 7, 8 * (v + 1))));
        repo.git("add", "-A");
        repo.git("commit", "-qm", message);
    }

    @Test
    void everyCommandShowsNamesEscaped() throws IOException {
        try (MergeRepo repo = new MergeRepo()) {
            commit(repo, "base", 0, DType.F32);
            repo.git("checkout", "-qb", "a");
            commit(repo, "a", 1, DType.BF16);
            repo.git("checkout", "-qb", "b", "main");
            commit(repo, "b", 2, DType.F16);
            showsEscaped(repo);
        }
    }

    private static void showsEscaped(MergeRepo repo) throws IOException {
        shown(repo.exec("git", "theta", "show", "HEAD:model.safetensors"), 0);
        shown(repo.exec("git", "theta", "diff", "main", "b"), 0);
        shown(repo.exec("git", "theta", "log"), 0);
        shown(repo.exec("git", "theta", "merge", "--dry-run", "--scope", "all", "a"), 1); // FORGED conflicts
        Command.Result merge = repo.exec("git", "merge", "a"); // the driver's report and its conflict line
        shown(merge, 1);
        assertThat(merge.out()).contains("git-theta: CONFLICT (parameters) in model.safetensors: forged\\x0agit-theta");
        repo.git("merge", "--abort");

        Command.Result error = repo.exec("git", "theta", "log", "--param", "x", "no\u001b[2Jsuch.safetensors");
        assertThat(error.exit()).isNotZero();
        assertThat(error.out()).contains("no\\x1b[2Jsuch.safetensors").doesNotContain("\u001b");
        assertThat(error.out().strip().lines()).hasSize(1);
    }

    /** The output holds each name escaped, and no control character but line ends, nor a bidi override. */
    private static void shown(Command.Result r, int exit) {
        assertThat(r.exit()).as(r.out()).isEqualTo(exit);
        assertThat(r.out())
                .contains("title\\x1b]0;pwned\\x07")
                .contains("reversed\\u{202E}thgiew")
                .doesNotContain("\u202e")
                .doesNotContain("\ngit-theta: all parameters verified");
        assertThat(r.out().chars().filter(c -> c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f))
                .as(r.out())
                .isEmpty();
    }
}
