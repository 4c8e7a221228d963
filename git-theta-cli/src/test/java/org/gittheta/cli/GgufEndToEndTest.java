package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gittheta.format.GgufFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GGUF file written by the real gguf library, through real git: byte-exact versions, one object per change. */
class GgufEndToEndTest {
    @TempDir
    Path tmp;

    static byte[] reference(String name) throws IOException {
        try (InputStream in = GgufEndToEndTest.class.getResourceAsStream("/testdata/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void versionsOfAGgufFileRoundTripAndStoreOnlyTheChangedTensor() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "theta", "track", "*.gguf");
        byte[] v1 = reference("gguf-align64.gguf");
        Files.write(repo.resolve("m.gguf"), v1);
        git.ok(repo, "git", "add", "-A");
        git.ok(repo, "git", "commit", "-q", "-m", "v1");
        assertThat(git.ok(repo, "git", "cat-file", "-p", "HEAD:m.gguf"))
                .contains("format gguf\n")
                .contains("dtype=Q4_0");

        TensorSlot q8 = GgufFormat.INSTANCE
                .read("m.gguf", MemorySegment.ofArray(v1))
                .tensor("blk.0.attn_q.weight")
                .orElseThrow();
        byte[] v2 = v1.clone();
        v2[(int) q8.offset() + 5] ^= 0x11; // one quantized block changes
        List<Path> before = StoreFiles.objects(repo.resolve(".git"));
        Files.write(repo.resolve("m.gguf"), v2);
        git.ok(repo, "git", "commit", "-q", "-am", "v2");
        assertThat(StoreFiles.objects(repo.resolve(".git"))).hasSize(before.size() + 1);
        assertThat(git.ok(repo, "git", "diff", "HEAD~1", "HEAD").lines().filter(l -> l.startsWith("+param")))
                .singleElement()
                .asString()
                .contains("blk.0.attn_q.weight")
                .contains("dtype=Q8_0");

        git.ok(repo, "git", "checkout", "-q", "HEAD~1");
        GitRepoFixture.assertSameBytes(repo.resolve("m.gguf"), v1);
        git.ok(repo, "git", "checkout", "-q", "main");
        GitRepoFixture.assertSameBytes(repo.resolve("m.gguf"), v2);
    }

    @Test
    void paddingThatIsNotZeroComesBackExactly() throws IOException {
        GitRepoFixture git = new GitRepoFixture(tmp);
        Path repo = git.newRepo("repo");
        git.ok(repo, "git", "theta", "track", "*.gguf");
        byte[] content = reference("gguf-align64.gguf");
        List<TensorSlot> slots = GgufFormat.INSTANCE
                .read("m.gguf", MemorySegment.ofArray(content))
                .tensors();
        TensorSlot gapAfter = slots.stream()
                .filter(s -> slots.stream().noneMatch(t -> t.offset() == s.end()))
                .filter(s -> s.end() < content.length)
                .findFirst()
                .orElseThrow();
        content[(int) gapAfter.end()] = 0x5a; // padding after a tensor: skeleton, not tensor data
        Files.write(repo.resolve("m.gguf"), content);
        git.ok(repo, "git", "add", "-A");
        git.ok(repo, "git", "commit", "-q", "-m", "odd padding");
        Files.delete(repo.resolve("m.gguf"));
        git.ok(repo, "git", "checkout", "--", "m.gguf");
        GitRepoFixture.assertSameBytes(repo.resolve("m.gguf"), content);
    }
}
