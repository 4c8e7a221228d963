package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.Command;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Real git driving git-theta's filter: add, commit, and every way of getting a file back. */
class FoundationEndToEndTest extends GitRepoFixture.WithRepo {
    /**
     * Every dtype the format defines, a scalar, empty tensors, a tensor named "", metadata, shuffled keys, pretty JSON
     * and padding.
     */
    static byte[] edgeCaseCheckpoint(long seed) {
        TestCheckpoints.SafetensorsBuilder b = TestCheckpoints.safetensors()
                .seed(seed)
                .keyOrder(TestCheckpoints.KeyOrder.SHUFFLED)
                .pretty()
                .padding(13)
                .metadata("format", "pt")
                .metadata("note", "ünïcode ✓");
        for (DType t : DType.values()) {
            if (t.kind() != DType.Kind.QUANTIZED) b.tensor("layer." + t.name().toLowerCase() + ".weight", t, 8, 4);
        }
        return b.tensor("scalar", DType.F32)
                .tensor("empty", DType.BF16, 0, 16)
                .tensor("also empty", DType.I64, 3, 0)
                .tensor("", DType.F32, 2)
                .bytes();
    }

    byte[] commit(String file, byte[] content, String message) throws IOException {
        return git.commit(repo, file, content, "-m", message);
    }

    @Nested
    class ByteExactCheckout {
        @Test
        void checkoutAfterDeleteGivesBackTheSameBytesAndGitStoresAManifest() throws IOException {
            byte[] v1 = commit("m.safetensors", edgeCaseCheckpoint(1), "v1");
            assertThat(git.ok(repo, "git", "cat-file", "-p", "HEAD:m.safetensors"))
                    .startsWith("git-theta manifest 2\nformat safetensors\n");
            assertThat(StoreFiles.objects(repo.resolve(".git")))
                    .as("every tensor is at most 256 bytes: inline in the manifest")
                    .isEmpty();
            Files.delete(repo.resolve("m.safetensors"));
            git.ok(repo, "git", "checkout", "--", "m.safetensors");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v1);
            assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
        }

        @Test
        void switchResetStashAndCloneGiveBackTheSameBytes() throws IOException {
            byte[] v1 = commit("m.safetensors", edgeCaseCheckpoint(1), "v1");
            git.ok(repo, "git", "switch", "-q", "-c", "tune");
            byte[] v2 = commit("m.safetensors", edgeCaseCheckpoint(2), "v2");
            git.ok(repo, "git", "switch", "-q", "main");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v1);
            git.ok(repo, "git", "switch", "-q", "tune");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);

            Files.write(repo.resolve("m.safetensors"), edgeCaseCheckpoint(3));
            git.ok(repo, "git", "reset", "-q", "--hard");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);

            byte[] v3 = edgeCaseCheckpoint(3);
            Files.write(repo.resolve("m.safetensors"), v3);
            git.ok(repo, "git", "stash", "-q");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v2);
            git.ok(repo, "git", "stash", "pop", "-q");
            GitRepoFixture.assertSameBytes(repo.resolve("m.safetensors"), v3);

            git.ok(git.home, "git", "clone", "-q", "--branch", "main", repo.toString(), "copy");
            GitRepoFixture.assertSameBytes(git.home.resolve("copy/m.safetensors"), v1);
            git.ok(git.home.resolve("copy"), "git", "switch", "-q", "tune");
            GitRepoFixture.assertSameBytes(git.home.resolve("copy/m.safetensors"), v2);
        }

        @Test
        void checkpointsWithNoTensorsRoundTrip() throws IOException {
            byte[] empty = commit("a.safetensors", TestCheckpoints.safetensorsWithHeader("{}", new byte[0]), "empty");
            byte[] meta = commit(
                    "b.safetensors",
                    TestCheckpoints.safetensors().metadata("k", "v").bytes(),
                    "metadata only");
            Files.delete(repo.resolve("a.safetensors"));
            Files.delete(repo.resolve("b.safetensors"));
            git.ok(repo, "git", "checkout", "--", ".");
            GitRepoFixture.assertSameBytes(repo.resolve("a.safetensors"), empty);
            GitRepoFixture.assertSameBytes(repo.resolve("b.safetensors"), meta);
        }
    }

    @Nested
    class StoresOnlyWhatChanged {
        TestCheckpoints.SafetensorsBuilder model(long seedOfLast) {
            TestCheckpoints.SafetensorsBuilder b = TestCheckpoints.safetensors().seed(7);
            for (int i = 0; i < 9; i++) b.tensor("w" + i, DType.F32, 64, 64);
            byte[] last = TestCheckpoints.safetensors()
                    .seed(seedOfLast)
                    .tensor("x", DType.F32, 64, 64)
                    .data("x");
            return b.tensor("w9", DType.F32, org.gittheta.tensor.Shape.of(64, 64), last);
        }

        @Test
        void reAddingAnUnchangedCheckpointStoresNothing() throws IOException {
            commit("m.safetensors", model(1).bytes(), "v1");
            List<Path> before = StoreFiles.objects(repo.resolve(".git"));
            assertThat(before).hasSize(10);
            Files.write(repo.resolve("m.safetensors"), model(1).bytes()); // rewritten: new mtime, same bytes
            git.ok(repo, "git", "add", "m.safetensors");
            assertThat(git.ok(repo, "git", "status", "--porcelain")).isEmpty();
            assertThat(StoreFiles.objects(repo.resolve(".git"))).isEqualTo(before);
        }

        @Test
        void aNewVersionStoresOnlyTheChangedParameter() throws IOException {
            commit("m.safetensors", model(1).bytes(), "v1");
            List<Path> before = StoreFiles.objects(repo.resolve(".git"));
            commit("m.safetensors", model(2).bytes(), "v2");
            List<Path> after = StoreFiles.objects(repo.resolve(".git"));
            assertThat(after).hasSize(before.size() + 1).containsAll(before);
            String diff = git.ok(repo, "git", "diff", "HEAD~1", "HEAD");
            assertThat(diff.lines().filter(l -> l.startsWith("+param") || l.startsWith("-param")))
                    .hasSize(2)
                    .allMatch(l -> l.contains("param w9 "));
        }
    }

    @Nested
    class BadInput {
        byte[] valid() {
            return TestCheckpoints.safetensors()
                    .seed(3)
                    .tensor("a", DType.F32, 16, 16) // 1 KiB: an object (tiny tensors are inline in the manifest)
                    .tensor("b", DType.BF16, 8)
                    .bytes();
        }

        void assertRejected(String file, byte[] content, String expectedInMessage) throws IOException {
            Files.write(repo.resolve(file), content);
            Command.Result r = git.run(repo, "git", "add", file);
            assertThat(r.exit()).as("git add of %s", file).isNotZero();
            List<String> ours =
                    r.err().lines().filter(l -> l.startsWith("git-theta:")).toList();
            assertThat(ours).hasSize(1);
            assertThat(ours.getFirst()).contains(file).contains(expectedInMessage);
            assertThat(git.ok(repo, "git", "ls-files", "--stage", file)).isEmpty();
            Path tmpDir = repo.resolve(".git/theta/tmp");
            if (Files.isDirectory(tmpDir)) {
                try (var s = Files.list(tmpDir)) {
                    assertThat(s.toList()).as("temporary files left behind").isEmpty();
                }
            }
        }

        @Test
        void malformedCheckpointsAreRejectedWithOneLineAndNothingStaged() throws IOException {
            byte[] good = valid();
            assertRejected("truncated.safetensors", java.util.Arrays.copyOf(good, good.length - 5), "truncated");
            assertRejected(
                    "dtype.safetensors",
                    TestCheckpoints.safetensorsWithHeader(
                            "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                    "'a'");
            assertRejected(
                    "overlap.safetensors",
                    TestCheckpoints.safetensorsWithHeader(
                            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                    + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                            new byte[12]),
                    "");
            byte[] trailing = java.util.Arrays.copyOf(good, good.length + 3);
            assertRejected("trailing.safetensors", trailing, "");

            commit("fine.safetensors", good, "a valid file still works");
            Files.delete(repo.resolve("fine.safetensors"));
            git.ok(repo, "git", "checkout", "--", "fine.safetensors");
            GitRepoFixture.assertSameBytes(repo.resolve("fine.safetensors"), good);
        }

        /** The format is found by content: these are no safetensors files, so they are stored whole, or refused. */
        @Test
        void filesNoFormatClaimsAreStoredWholeOrRefusedWhenAsked() throws IOException {
            byte[] hugeHeader = valid();
            hugeHeader[5] = 0x7f;
            Map<String, byte[]> files = Map.of(
                    "short.safetensors",
                    new byte[] {1, 2, 3},
                    "huge.safetensors",
                    hugeHeader,
                    "json.safetensors",
                    TestCheckpoints.safetensorsWithHeader("[1,2]", new byte[0]));
            for (var e : files.entrySet()) {
                Files.write(repo.resolve(e.getKey()), e.getValue());
                Command.Result r = git.run(repo, "git", "-c", "theta.opaque=refuse", "add", e.getKey());
                assertThat(r.exit()).isNotZero();
                assertThat(r.err()).contains("git-theta: " + e.getKey() + ": refused (theta.opaque=refuse)");
                assertThat(git.ok(repo, "git", "ls-files", "--stage", e.getKey()))
                        .isEmpty();
                Command.Result stored = git.run(repo, "git", "add", e.getKey()).assertOk();
                assertThat(stored.err()).contains("git-theta: " + e.getKey() + ": stored whole: ");
                assertThat(git.ok(repo, "git", "cat-file", "-p", ":" + e.getKey()))
                        .contains("format opaque\n");
            }
        }

        /**
         * A checkpoint whose name is not ASCII, under the C locale that containers and cron give: Java would read the
         * name in ASCII, and add, status, show and checkout all failed on it.
         */
        @Test
        void aNameBeyondAsciiWorksUnderTheCLocale() throws IOException {
            git.env.put("LC_ALL", "C");
            git.env.put("LANG", "C");
            byte[] content = commit("mödel 模型.safetensors", valid(), "non-ASCII name");
            assertThat(git.ok(repo, "git", "theta", "show", "HEAD:mödel 模型.safetensors"))
                    .contains("parameters");
            assertThat(git.ok(repo, "git", "theta", "status")).contains("mödel 模型.safetensors");
            Files.delete(repo.resolve("mödel 模型.safetensors"));
            git.ok(repo, "git", "checkout", "--", "mödel 模型.safetensors");
            assertThat(repo.resolve("mödel 模型.safetensors")).hasBinaryContent(content);
            Files.delete(repo.resolve("mödel 模型.safetensors"));
            git.command(repo, "git", "checkout", "--", "mödel 模型.safetensors")
                    .env("GIT_THETA_SKIP_SMUDGE", "1")
                    .ok();
            git.ok(repo, "git", "theta", "checkout");
            assertThat(repo.resolve("mödel 模型.safetensors")).hasBinaryContent(content);
        }

        /** An empty file stays empty, as git-lfs keeps it: git never cleans an empty file, so a manifest would differ. */
        @Test
        void anEmptyFileIsStoredEmpty() throws IOException {
            commit("empty.safetensors", new byte[0], "empty");
            assertThat(git.ok(repo, "git", "cat-file", "-s", "HEAD:empty.safetensors"))
                    .isEqualTo("0\n");
            assertThat(git.run(repo, "git", "diff", "--quiet").exit()).isZero();
            assertThat(git.ok(repo, "git", "theta", "diff", "HEAD")).isEmpty();
            assertThat(git.ok(repo, "git", "theta", "show", "HEAD:empty.safetensors"))
                    .contains("0 parameters, 0 elements");
            Files.write(repo.resolve("empty.safetensors"), new byte[] {1, 2, 3});
            assertThat(git.ok(repo, "git", "theta", "diff", "HEAD")).contains("stored whole: added, 3 B");
            Files.delete(repo.resolve("empty.safetensors"));
            git.ok(repo, "git", "checkout", "--", "empty.safetensors");
            assertThat(repo.resolve("empty.safetensors")).isEmptyFile();
        }

        @Test
        void aMissingObjectFailsCheckoutWithoutWritingTheFile() throws IOException {
            commit("m.safetensors", valid(), "v1");
            Path victim = StoreFiles.objects(repo.resolve(".git")).getFirst();
            Files.delete(victim);
            Files.delete(repo.resolve("m.safetensors"));
            Command.Result r = git.run(repo, "git", "checkout", "--", "m.safetensors");
            assertThat(r.exit()).isNotZero();
            assertThat(r.err())
                    .contains("m.safetensors")
                    .contains(victim.getFileName().toString())
                    .contains("missing");
            assertThat(repo.resolve("m.safetensors")).doesNotExist();
        }

        @Test
        void aCorruptObjectFailsCheckoutAndNeverWritesWrongBytes() throws IOException {
            byte[] v1 = commit("m.safetensors", valid(), "v1");
            assertThat(StoreFiles.objects(repo.resolve(".git"))).hasSize(1);
            for (Path object : StoreFiles.objects(repo.resolve(".git"))) {
                try (RandomAccessFile f = new RandomAccessFile(object.toFile(), "rw")) {
                    long at = f.length() / 2;
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ 0x01);
                }
            }
            Files.delete(repo.resolve("m.safetensors"));
            Command.Result r = git.run(repo, "git", "checkout", "--", "m.safetensors");
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("m.safetensors").contains("corrupt");
            Path file = repo.resolve("m.safetensors");
            if (Files.exists(file)) GitRepoFixture.assertSameBytes(file, v1);
        }
    }
}
