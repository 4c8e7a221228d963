package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real git driving {@link CaseFilterMain} through {@code filter.t.process}. */
class GitEndToEndTest {
    @TempDir
    Path tmp;

    private Path repo;

    record Result(int exit, String stdout, String stderr) {}

    @BeforeEach
    void setUp() throws Exception {
        repo = Files.createDirectories(tmp.resolve("repo"));
        Files.createDirectories(tmp.resolve("home"));
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

        assertThat(git("cat-file", "-p", ":a.txt").stdout()).isEqualTo("HELLO, WORLD!\n");
        assertThat(git("cat-file", "-p", ":big.txt").stdout()).isEqualTo(big.toUpperCase(Locale.ROOT));
        assertThat(git("cat-file", "-p", ":empty.txt").stdout()).isEmpty();
        assertThat(git("cat-file", "-p", ":plain.dat").stdout()).isEqualTo("Not Filtered\n");

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
        assertThat(result.stderr()).contains("refuse.txt: refused by the test filter\n");
        assertThat(result.stderr().lines().filter(l -> l.contains("refused by the test filter")))
                .hasSize(1);
        assertThat(git("ls-files", "--stage", "refuse.txt").stdout()).isEmpty();
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

    private Result git(String... args) throws Exception {
        Result result = run(args);
        assertThat(result.exit())
                .as("git %s failed: %s", String.join(" ", args), result.stderr())
                .isZero();
        return result;
    }

    private Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        File stdout = tmp.resolve("stdout").toFile();
        File stderr = tmp.resolve("stderr").toFile();
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(repo.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout)
                .redirectError(stderr);
        pb.environment().keySet().removeIf(k -> k.startsWith("GIT_"));
        pb.environment().put("HOME", tmp.resolve("home").toString());
        pb.environment().put("XDG_CONFIG_HOME", tmp.resolve("home").toString());
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        Process process = pb.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("git " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(
                process.exitValue(),
                Files.readString(stdout.toPath(), StandardCharsets.UTF_8),
                Files.readString(stderr.toPath(), StandardCharsets.UTF_8));
    }
}
