package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.gittheta.testing.Command.Result;
import org.gittheta.testing.GitSandbox;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real git driving {@link CaseFilterMain} through {@code filter.t.process}. */
class GitEndToEndTest {
    @TempDir
    Path tmp;

    private Path repo;
    private GitSandbox sandbox;

    @BeforeEach
    void setUp() throws Exception {
        sandbox = new GitSandbox(tmp.resolve("home"));
        repo = Files.createDirectories(tmp.resolve("repo"));
        git("init", "-q");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = quote(java) + " -cp " + quote(System.getProperty("java.class.path")) + " "
                + CaseFilterMain.class.getName();
        git("config", "filter.t.process", command);
        git("config", "filter.t.required", "true");
        Files.writeString(repo.resolve(".gitattributes"), "*.txt filter=t\n");
    }

    @Test
    void addCleansAndCheckoutSmudges() throws Exception {
        String big = randomText(300_000);
        Files.writeString(repo.resolve("a.txt"), "Hello, World!\n");
        Files.writeString(repo.resolve("big.txt"), big);
        Files.writeString(repo.resolve("empty.txt"), "");
        Files.writeString(repo.resolve("plain.dat"), "Not Filtered\n");

        git("add", "a.txt", "big.txt", "empty.txt", "plain.dat");

        assertThat(git("cat-file", "-p", ":a.txt").out()).isEqualTo("HELLO, WORLD!\n");
        assertThat(git("cat-file", "-p", ":big.txt").out()).isEqualTo(big.toUpperCase(Locale.ROOT));
        assertThat(git("cat-file", "-p", ":empty.txt").out()).isEmpty();
        assertThat(git("cat-file", "-p", ":plain.dat").out()).isEqualTo("Not Filtered\n");

        for (String name : List.of("a.txt", "big.txt", "empty.txt")) Files.delete(repo.resolve(name));
        git("checkout", "--", "a.txt", "big.txt", "empty.txt");

        assertThat(Files.readString(repo.resolve("a.txt"))).isEqualTo("hello, world!\n");
        assertThat(Files.readString(repo.resolve("big.txt"))).isEqualTo(big.toLowerCase(Locale.ROOT));
        assertThat(Files.readString(repo.resolve("empty.txt"))).isEmpty();
    }

    @Test
    void failingFileMakesAddFailWithTheFiltersMessage() throws Exception {
        Files.writeString(repo.resolve("ok.txt"), "fine\n");
        Files.writeString(repo.resolve("refuse.txt"), "no\n");

        Result result = run("add", "ok.txt", "refuse.txt");

        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).contains("refuse.txt: refused by the test filter\n");
        assertThat(result.err().lines().filter(l -> l.contains("refused by the test filter")))
                .hasSize(1);
        assertThat(git("ls-files", "--stage", "refuse.txt").out()).isEmpty();
    }

    private static String randomText(int length) {
        Random random = new Random(42);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n";
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return s.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private Result git(String... args) throws IOException {
        return run(args).assertOk();
    }

    /** git in the repository; a filter that deadlocks fails the test within a minute. */
    private Result run(String... args) throws IOException {
        return sandbox.gitCommand(repo, args).timeout(Duration.ofMinutes(1)).run();
    }
}
