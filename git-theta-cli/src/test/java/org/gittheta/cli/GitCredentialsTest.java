package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ssh that asks an SSH remote's server for its LFS token: its answer, bounded in size and time. */
class GitCredentialsTest {
    @TempDir
    Path tmp;

    @Test
    void sshsAnswerIsTakenAndAFailedSshIsNone() throws IOException {
        GitCredentials credentials = new GitCredentials(tmp);

        assertThat(credentials.askSsh(List.of("sh", "-c", "printf '{\"header\":{}}'")))
                .hasValueSatisfying(
                        a -> assertThat(new String(a, StandardCharsets.UTF_8)).isEqualTo("{\"header\":{}}"));
        assertThat(credentials.askSsh(List.of("sh", "-c", "echo 'Invalid command' >&2; exit 1")))
                .isEmpty();
        assertThat(credentials.askSsh(List.of(tmp.resolve("no-such-ssh").toString())))
                .isEmpty();
    }

    @Test
    void anSshThatNeverAnswersOrNeverStopsIsCutOff() {
        GitCredentials credentials = new GitCredentials(tmp, Duration.ofSeconds(1));

        // the shell's child holds the output: it is stopped too
        assertThatThrownBy(() -> credentials.askSsh(List.of("sh", "-c", "sleep 60; true")))
                .isInstanceOf(IOException.class)
                .hasMessage("no answer within 1 s");
        assertThatThrownBy(() -> credentials.askSsh(List.of("sh", "-c", "yes")))
                .isInstanceOf(IOException.class)
                .hasMessage("an answer over 64 KiB");
    }
}
