package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.gittheta.testing.Command;
import org.gittheta.transfer.Credentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * git credential, asked only about the URL it is given; and the ssh that asks an SSH remote's server for its LFS
 * token: its answer, bounded in size and time.
 */
class GitCredentialsTest {
    @TempDir
    Path tmp;

    @Test
    void aUrlWhosePathWouldAddALineToTheQuestionIsNeverAsked() throws IOException {
        Path helper = tmp.resolve("helper.sh");
        Path asked = tmp.resolve("asked");
        Files.writeString(helper, "#!/bin/sh\ncat >> '" + asked + "'\necho username=u\necho password=p\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        Command.of("git", "init", "-q").in(tmp).ok();
        Command.of("git", "config", "--add", "credential.helper", "").in(tmp).ok();
        Command.of("git", "config", "--add", "credential.helper", helper.toString())
                .in(tmp)
                .ok();
        GitCredentials credentials = new GitCredentials(tmp);

        // "%0a" decodes to a line break: the helper would read the host after it, and give github.com's password
        URI hostile = URI.create("http://127.0.0.1:1/repo%0ahost=github.com/info/lfs");
        assertThatThrownBy(() -> credentials.fill(hostile))
                .isInstanceOf(IOException.class)
                .hasMessage(hostile + ": refusing to give git credential a path with a line break in it");
        assertThat(asked).doesNotExist();

        assertThat(credentials.fill(URI.create("http://127.0.0.1:1/repo/info/lfs")))
                .hasValue(new Credentials.Credential("u", "p"));
        assertThat(Files.readString(asked)).contains("host=127.0.0.1:1\n").doesNotContain("github.com");
    }

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
