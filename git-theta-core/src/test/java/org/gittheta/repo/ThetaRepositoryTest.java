package org.gittheta.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.eclipse.jgit.api.Git;
import org.gittheta.config.Settings;
import org.gittheta.convert.ContentSums;
import org.gittheta.convert.StatCache;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.MergeConfig;
import org.gittheta.progress.RecordingProgress;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade over a real repository (built with JGit, no git process): clean, commit, read back without checkout. */
class ThetaRepositoryTest {
    @TempDir
    Path dir;

    private byte[] checkpoint(long seed) {
        return TestCheckpoints.safetensors()
                .seed(seed)
                .tensor("w", DType.F32, 8, 16) // above the inline limit: each is an object
                .tensor("b", DType.BF16, 256)
                .bytes();
    }

    /** Cleans {@code bytes} through the facade and commits the manifest it gives; returns the commit id. */
    private String commit(Git git, ThetaRepository repo, byte[] bytes, String message) throws Exception {
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        repo.clean("m.safetensors", new ByteArrayInputStream(bytes), manifest);
        Files.write(dir.resolve("m.safetensors"), manifest.toByteArray());
        git.add().addFilepattern("m.safetensors").call();
        return git.commit().setMessage(message).setSign(false).call().getName();
    }

    private ThetaRepository open() throws IOException {
        return ThetaRepository.open(new ThetaRepository.Location(dir.resolve(".git"), dir.resolve(".git"), dir));
    }

    @Test
    void readsACommittedVersionsParametersWithoutCheckingItOut() throws Exception {
        byte[] first = checkpoint(1);
        byte[] second = checkpoint(2);
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = open()) {
            String c1 = commit(git, repo, first, "first");
            commit(git, repo, second, "second");

            assertThat(repo.resolveCommit("HEAD~1")).contains(c1);
            assertThat(repo.resolveCommit("no-such-branch")).isEmpty();
            Checkpoint old = repo.checkpoint("HEAD~1", "m.safetensors");
            assertThat(old.parameters()).extracting(Checkpoint.Parameter::name).containsExactlyInAnyOrder("w", "b");
            assertThat(old.parameter("w").shape().dims()).containsExactly(8, 16);

            CheckpointLayout layout = TestCheckpoints.readSafetensors("m", first);
            TensorSlot w = layout.tensor("w").orElseThrow();
            byte[] expected = new byte[(int) w.length()];
            System.arraycopy(first, (int) w.offset(), expected, 0, expected.length);
            ByteArrayOutputStream values = new ByteArrayOutputStream();
            old.writeValues("w", values);
            assertThat(values.toByteArray()).isEqualTo(expected);
            float[] floats = old.floats("w");
            ByteBuffer le = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : floats) assertThat(f).isEqualTo(le.getFloat());
            assertThat(repo.checkpoint("HEAD", "m.safetensors").floats("w")).isNotEqualTo(floats);
            assertThatThrownBy(() -> old.floats("nope")).hasMessageContaining("no parameter 'nope'");
        }
    }

    /** Cleans {@code bytes} through the facade into the store; returns the manifest. */
    private static Manifest cleaned(ThetaRepository repo, byte[] bytes) throws IOException {
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        repo.clean("m.safetensors", new ByteArrayInputStream(bytes), manifest);
        return Manifest.parse(manifest.toByteArray());
    }

    /** Stages {@code manifest} as git merge would, and removes the work tree's file. */
    private void stage(Git git, Manifest manifest) throws Exception {
        Files.write(dir.resolve("m.safetensors"), manifest.toBytes());
        git.add().addFilepattern("m.safetensors").call();
        Files.delete(dir.resolve("m.safetensors"));
    }

    private List<Path> mergedFiles() throws IOException {
        try (var files = Files.list(dir.resolve(".git/theta/tmp"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("merged-"))
                    .toList();
        }
    }

    /** The file the merge {@code mergeId} wrote whose name ends so ({@code .values}, {@code .ready}). */
    private Path mergedFile(String mergeId, String suffix) throws IOException {
        return mergedFiles().stream()
                .filter(f -> f.toString().contains(mergeId) && f.toString().endsWith(suffix))
                .findFirst()
                .orElseThrow();
    }

    /** The work tree's checkpoint removed, then checked out after the merge {@code mergeId}, whose files go. */
    private void assertChecksOutAs(ThetaRepository repo, String mergeId, byte[] expected) throws IOException {
        Files.delete(dir.resolve("m.safetensors"));
        assertThat(repo.checkout(List.of("m.safetensors"), Optional.of(mergeId)))
                .isEmpty();
        assertThat(Files.readAllBytes(dir.resolve("m.safetensors"))).isEqualTo(expected);
        repo.removeMergedFiles(mergeId);
    }

    /**
     * A merge that writes its computed values for the checkout after it, and completes the file around them (the
     * header, the parameter taken as it was): that checkout renames it into place, byte for byte what the manifest's
     * smudge gives, or completes it itself where the merge could not; a checkout of another manifest under the same
     * merge decodes as usual and leaves them alone.
     */
    @Test
    void theCheckoutAfterAMergeTakesTheValuesTheMergeWrote() throws Exception {
        byte[] unchanged =
                TestCheckpoints.safetensors().seed(9).tensor("c", DType.F32, 64).bytes();
        CheckpointLayout c = TestCheckpoints.readSafetensors("c", unchanged);
        byte[] cValues =
                Arrays.copyOfRange(unchanged, (int) c.tensor("c").orElseThrow().offset(), unchanged.length);
        LongFunction<byte[]> version = seed -> TestCheckpoints.safetensors()
                .seed(seed)
                .tensor("w", DType.F32, 8, 16)
                .tensor("b", DType.BF16, 256)
                .tensor("c", DType.F32, Shape.of(64), cValues)
                .bytes();
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = open()) {
            Manifest base = cleaned(repo, version.apply(1));
            Manifest ours = cleaned(repo, version.apply(2));
            Manifest theirs = cleaned(repo, version.apply(3));
            Files.write(dir.resolve("m.safetensors"), version.apply(2)); // ours, as the work tree holds it
            String id = ThetaRepository.newMergeId();
            Function<String, Manifest> merge = mergeId -> {
                try {
                    return repo.merge(
                                    "m.safetensors",
                                    MergeConfig.DEFAULT,
                                    Optional.of(base),
                                    ours,
                                    theirs,
                                    Optional.empty(),
                                    dir,
                                    Optional.of(mergeId))
                            .merged()
                            .orElseThrow();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            Manifest merged = merge.apply(id);
            assertThat(merged.byName().get("c").sha256())
                    .isEqualTo(ours.byName().get("c").sha256());
            assertThat(mergedFiles()).hasSize(2); // the values and the record of the manifest they are for
            ByteArrayOutputStream smudged = new ByteArrayOutputStream();
            repo.smudge("m.safetensors", new ByteArrayInputStream(merged.toBytes()), smudged);
            assertThat(Files.readAllBytes(mergedFile(id, ".values")))
                    .as("completed by the merge")
                    .isEqualTo(smudged.toByteArray());

            stage(git, merged);
            assertThat(repo.checkout(List.of("m.safetensors"), Optional.of(id))).isEmpty();
            assertThat(Files.readAllBytes(dir.resolve("m.safetensors"))).isEqualTo(smudged.toByteArray());
            assertThat(mergedFiles()).hasSize(1).allMatch(f -> f.toString().endsWith(".ready")); // the values moved

            // a file the merge could not complete: the checkout writes the header and the parameter taken as it was
            String partial = ThetaRepository.newMergeId();
            merge.apply(partial);
            Path ready = mergedFile(partial, ".ready");
            Files.writeString(ready, Files.readString(ready).replace("\ncomplete\n", "\npartial\n"));
            long kept = TestCheckpoints.readSafetensors("m", smudged.toByteArray())
                    .tensor("c")
                    .orElseThrow()
                    .offset();
            try (FileChannel ch = FileChannel.open(mergedFile(partial, ".values"), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(64), 0); // no header
                ch.write(ByteBuffer.allocate(cValues.length), kept); // nor the parameter taken from ours
            }
            assertChecksOutAs(repo, partial, smudged.toByteArray());

            String unreadable = ThetaRepository.newMergeId();
            merge.apply(unreadable);
            Path record = mergedFile(unreadable, ".ready");
            Files.delete(record);
            Files.createDirectory(record); // a record that cannot be read: the checkout decodes
            assertChecksOutAs(repo, unreadable, smudged.toByteArray());

            String again = ThetaRepository.newMergeId();
            merge.apply(again);
            stage(git, ours);
            repo.checkout(List.of("m.safetensors"), Optional.of(again));
            assertThat(Files.readAllBytes(dir.resolve("m.safetensors"))).isEqualTo(version.apply(2));
            repo.removeMergedFiles(id);
            repo.removeMergedFiles(again);
            assertThat(mergedFiles()).isEmpty();
        }
    }

    @Test
    void smudgeGivesBackTheBytesAndDiffComparesVersions() throws Exception {
        byte[] bytes = checkpoint(3);
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = open()) {
            String c = commit(git, repo, bytes, "only");
            Manifest m = repo.manifest(new Version.Rev(c), "m.safetensors").orElseThrow();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            repo.smudge("m.safetensors", new ByteArrayInputStream(m.toBytes()), out);
            assertThat(out.toByteArray()).isEqualTo(bytes);

            CheckpointDiff added = repo.diff(new Version.None(), new Version.Rev(c), "m.safetensors", name -> true);
            assertThat(added.changed()).hasSize(2);
            CheckpointDiff same = repo.diff(new Version.Rev(c), new Version.Index(), "m.safetensors", name -> true);
            assertThat(same.changed()).isEmpty();
            assertThat(repo.objectsAt(List.of(c))).hasSize(2);
            assertThat(repo.objectsIntroducedBy(List.of(c), List.of(c))).hasSize(2); // the tip's own manifests count
        }
    }

    /**
     * A work-tree file the stat cache knows as the index's version is compared as that version, neither read nor
     * hashed: here its bytes are not that version's, so reading them would show a change.
     */
    @Test
    void diffTakesAWorkTreeFileTheStatCacheKnowsAsItsManifest() throws Exception {
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = open()) {
            commit(git, repo, checkpoint(5), "only");
            Manifest staged = repo.indexManifest("m.safetensors").orElseThrow();
            Path file = dir.resolve("m.safetensors");
            byte[] unparsable = new byte[(int) staged.fileSize()];
            Arrays.fill(unparsable, (byte) 0xff);
            Files.write(file, unparsable);
            assertThat(repo.diff(new Version.Index(), new Version.WorkTree(), "m.safetensors", n -> true)
                            .changed())
                    .as("a file the stat cache does not know is read")
                    .isNotEmpty();

            java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
            java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
            crc32c.update(unparsable);
            crc32.update(unparsable);
            new StatCache(ObjectStore.inGitDir(dir.resolve(".git")))
                    .recordWritten(
                            file,
                            new ContentSums(unparsable.length, (int) crc32c.getValue(), (int) crc32.getValue()),
                            staged.toBytes());
            CheckpointDiff d = repo.diff(new Version.Index(), new Version.WorkTree(), "m.safetensors", n -> true);
            assertThat(d.changed()).isEmpty();
            assertThat(d.params()).hasSize(2);
        }
    }

    @Test
    void fsckReportsItsProgressInBytes() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        List<String> fsck;
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = ThetaRepository.open(
                        new ThetaRepository.Location(dir.resolve(".git"), dir.resolve(".git"), dir),
                        Settings.NONE,
                        org.gittheta.transfer.Credentials.NONE,
                        PromisedBlobs.NONE,
                        progress)) {
            commit(git, repo, checkpoint(1), "first");
            commit(git, repo, checkpoint(2), "second");
            int cleans = progress.finished().size();
            assertThat(repo.fsck(false).ok()).isTrue();
            fsck = progress.finished().subList(cleans, progress.finished().size());
        }
        // w (F32 8x16) and b (BF16 256) in two versions
        assertThat(fsck)
                .hasSize(2)
                .satisfies(t -> assertThat(t.getFirst()).matches("checking objects: ([1-9][0-9]*) of \\1"))
                .satisfies(t -> assertThat(t.getLast()).isEqualTo("rebuilding parameters: 2048 of 2048"));
    }

    @Test
    void aBadSettingFailsTheOperationThatNeedsItNotTheOpening() throws Exception {
        Settings bad = Settings.parse("local\0theta.maxChainDepth\nlots\0".getBytes(StandardCharsets.UTF_8));
        try (Git git = Git.init().setDirectory(dir.toFile()).call();
                ThetaRepository repo = ThetaRepository.open(
                        new ThetaRepository.Location(dir.resolve(".git"), dir.resolve(".git"), dir),
                        bad,
                        org.gittheta.transfer.Credentials.NONE,
                        PromisedBlobs.NONE,
                        org.gittheta.progress.Progress.NONE)) {
            assertThatThrownBy(() -> repo.clean(
                            "m.safetensors", new ByteArrayInputStream(checkpoint(4)), new ByteArrayOutputStream()))
                    .hasMessage("theta.maxChainDepth 'lots' is not a non-negative number");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            repo.smudge("plain.bin", new ByteArrayInputStream("not a manifest".getBytes(StandardCharsets.UTF_8)), out);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("not a manifest");
            assertThat(repo.indexManifest("m.safetensors")).isEqualTo(Optional.empty());
        }
    }
}
