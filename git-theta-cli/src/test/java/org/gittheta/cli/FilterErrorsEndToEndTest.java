package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure in the filter process is answered through the protocol for that file: the user sees our one line
 * (and git's own verdict on the file), never "the remote end hung up", and the process goes on serving.
 */
class FilterErrorsEndToEndTest {
    @TempDir
    Path tmp;

    private static void checkpoint(Path file) throws IOException {
        Bf16Checkpoints.write(file, Map.of("w", new float[] {1, 2, 3, 4}), Map.of("w", Shape.of(2, 2)), Map.of());
    }

    private static long ourLines(String err) {
        return err.lines().filter(l -> l.startsWith("git-theta:")).count();
    }

    @Test
    void aSettingRefusedInTheFilterIsOneLineForTheFile() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        checkpoint(repo.resolve("m.safetensors"));
        git.ok(repo, "git", "config", "theta.lossy", "true");
        Command.Result lossy = git.run(repo, "git", "add", "m.safetensors");
        assertThat(lossy.exit()).isNotZero();
        assertThat(lossy.err())
                .contains("git-theta: m.safetensors: theta.lossy is set in a git config file (local)")
                .doesNotContain("hung up");
        assertThat(ourLines(lossy.err())).isEqualTo(1);
        git.ok(repo, "git", "config", "--unset", "theta.lossy");

        Path notAnAdapter = Files.createDirectories(tmp.resolve("empty-adapter"));
        Command.Result lora = git.run(repo, "git", "theta", "add", "--lora", notAnAdapter.toString(), "m.safetensors");
        assertThat(lora.exit()).isNotZero();
        assertThat(lora.err())
                .contains("git-theta: m.safetensors: " + notAnAdapter + ": not a PEFT LoRA adapter")
                .doesNotContain("hung up");
        assertThat(ourLines(lora.err())).isEqualTo(1);
        assertThat(git.ok(repo, "git", "ls-files", "--", "m.safetensors")).isEmpty();

        // a config whose regex does not compile, or whose r is not a whole number: named in the adapter's words
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        Files.write(adapter.resolve("adapter_model.safetensors"), Files.readAllBytes(repo.resolve("m.safetensors")));
        Path config = adapter.resolve("adapter_config.json");
        Files.writeString(config, "{\"r\":4,\"lora_alpha\":8,\"target_modules\":\"q([\"}");
        Command.Result regex = git.run(repo, "git", "theta", "add", "--lora", adapter.toString(), "m.safetensors");
        assertThat(regex.err())
                .contains("git-theta: m.safetensors: " + config + ": target_modules 'q([' is not a regular expression: "
                        + "Unclosed character class")
                .doesNotContain("java.");
        assertThat(ourLines(regex.err())).isEqualTo(1);
        Files.writeString(config, "{\"r\":\"4\",\"lora_alpha\":8,\"target_modules\":[\"q\"]}");
        assertThat(git.run(repo, "git", "theta", "add", "--lora", adapter.toString(), "m.safetensors")
                        .err())
                .contains(config + ": needs a positive whole number 'r' and a number 'lora_alpha'");
        assertThat(git.ok(repo, "git", "ls-files", "--", "m.safetensors")).isEmpty();
    }

    @Test
    void theProcessGoesOnServingAfterAFileFails() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "theta", "track", "*.bin");
        checkpoint(repo.resolve("m.safetensors"));
        // a safetensors header that ends early: the format is found by content, the file is refused
        byte[] whole = Files.readAllBytes(repo.resolve("m.safetensors"));
        Files.write(repo.resolve("notes.bin"), java.util.Arrays.copyOf(whole, 20));
        // not required: git keeps a file whose clean failed as it is and goes on with the same filter process
        Command.Result r =
                git.run(repo, "git", "-c", "filter.theta.required=false", "add", "notes.bin", "m.safetensors");
        assertThat(r.err()).contains("git-theta: notes.bin: truncated").doesNotContain("hung up");
        assertThat(ourLines(r.err())).isEqualTo(1);
        assertThat(git.ok(repo, "git", "show", ":m.safetensors")).startsWith("git-theta manifest ");
    }

    @Test
    void aTensorLargerThanTheFileIsTruncationNamedForTheFile() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        checkpoint(repo.resolve("m.safetensors"));
        // a header declaring 2^58 bytes of F32 in a file of a few: no machine can allocate them
        long numel = 1L << 56;
        byte[] header = ("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + numel + "],\"data_offsets\":[0," + 4 * numel + "]}}")
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header);
        Files.write(repo.resolve("huge.safetensors"), file.array());

        Command.Result r =
                git.run(repo, "git", "-c", "filter.theta.required=false", "add", "huge.safetensors", "m.safetensors");

        assertThat(r.err())
                .contains("git-theta: huge.safetensors: truncated: the header describes "
                        + (8 + header.length + 4 * numel) + " bytes, the file has " + file.capacity())
                .doesNotContain("out of memory");
        assertThat(ourLines(r.err())).isEqualTo(1);
        assertThat(git.ok(repo, "git", "show", ":m.safetensors")).startsWith("git-theta manifest ");
    }

    @Test
    void gitThetaAddWithoutTheFilterStagesNothing() throws Exception {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "theta", "uninstall");
        checkpoint(repo.resolve("m.safetensors"));

        Command.Result r = git.run(repo, "git", "theta", "add", "--update-type", "dense", "m.safetensors");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .isEqualTo("git-theta: git-theta's filter is not configured here; run 'git theta install' first");
        assertThat(git.ok(repo, "git", "ls-files", "--", "m.safetensors")).isEmpty();
    }
}
