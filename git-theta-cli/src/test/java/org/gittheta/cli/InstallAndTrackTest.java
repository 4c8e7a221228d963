package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallAndTrackTest {
    @TempDir
    Path tmp;

    @Test
    void localInstallWritesTheFilterAndMergeDriverIntoTheRepositoryOnly() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.home.resolve("r");
        Files.createDirectories(repo);
        git.ok(repo, "git", "init", "-q");
        git.ok(repo, "git", "theta", "install", "--local");
        String local = git.ok(repo, "git", "config", "--local", "--list");
        String launcher = GitRepoFixture.LAUNCHER.toString();
        assertThat(local)
                .contains("filter.theta.process='" + launcher + "' filter-process")
                .contains("filter.theta.required=true")
                .contains("merge.theta.name=git-theta parameter merge")
                .contains("merge.theta.driver='" + launcher + "' merge-driver %O %A %B %P");
    }

    @Test
    void trackIsIdempotentAndUntrackRemovesTheLine() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("r");
        git.ok(repo, "git", "theta", "track", "*.safetensors", "models/*.safetensors");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly(
                        "*.safetensors filter=theta diff=theta merge=theta",
                        "models/*.safetensors filter=theta diff=theta merge=theta");
        assertThat(git.ok(repo, "git", "check-attr", "filter", "--", "x.safetensors"))
                .isEqualTo("x.safetensors: filter: theta\n");
        git.ok(repo, "git", "theta", "untrack", "*.safetensors");
        assertThat(Files.readAllLines(repo.resolve(".gitattributes")))
                .containsExactly("models/*.safetensors filter=theta diff=theta merge=theta");
    }

    @Test
    void everyCommandHasHelpAndVersionWorks() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        assertThat(git.ok(git.home, "git", "theta", "--version")).startsWith("git-theta ");
        for (String cmd : new String[] {"install", "track", "untrack", "filter-process", "demo"}) {
            assertThat(git.ok(git.home, "git", "theta", cmd, "--help")).as(cmd).contains("Usage: git-theta " + cmd);
        }
        assertThat(git.ok(git.home, "git", "theta", "help", "track")).contains("Usage: git-theta track");
    }
}
