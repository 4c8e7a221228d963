package org.gittheta.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What gc keeps: objects a commit's manifest uses, the bases its deltas need (listed in the manifest), what the
 * index and the stash use; what goes: objects nothing uses, once older than the prune age.
 */
class StoreReachabilityTest {
    private static final Instant NOW = Instant.now();
    private static final Duration AGE = Duration.ofDays(14);

    @TempDir
    Path work;

    private final List<ObjectId> written = new ArrayList<>();
    private ObjectStore store;

    private ObjectRef object(String content, boolean old) throws IOException {
        ObjectId id = store.write(out -> out.write(content.getBytes()));
        Instant at = old ? NOW.minus(AGE.multipliedBy(2)) : NOW;
        Files.setLastModifiedTime(store.pathOf(id), FileTime.from(at));
        written.add(id);
        return new ObjectRef(id, store.size(id));
    }

    private void stage(Git git, ObjectRef... chain) throws Exception {
        stage(git, "m.safetensors", chain);
    }

    private void stage(Git git, String path, ObjectRef... chain) throws Exception {
        ParamEntry p = new ParamEntry(
                "w", DType.F32, Shape.of(2), "0".repeat(64), chain.length > 1 ? "xor-delta" : "dense", List.of(chain));
        Files.write(work.resolve(path), new Manifest("safetensors", new byte[8], 16, List.of(p)).toBytes());
        git.add().addFilepattern(path).call();
    }

    private GcReport gc(ThetaRepository repo) throws IOException {
        return repo.gc(new GcOptions(NOW.minus(AGE), NOW.minus(AGE), false, Optional.empty()));
    }

    private Set<ObjectId> removed(GcReport report) {
        return report.objects().stream().map(r -> new ObjectId(r.name())).collect(Collectors.toSet());
    }

    @Test
    void keepsDeltaBasesTheIndexAndTheStashAndNothingYoung() throws Exception {
        Path gitDir = work.resolve(".git");
        store = ObjectStore.inGitDir(gitDir);
        try (Git git =
                Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
            ObjectRef base = object("base", true);
            ObjectRef delta = object("delta against base", true);
            ObjectRef stashed = object("stashed", true);
            ObjectRef staged = object("staged", true);
            ObjectRef garbage = object("garbage", true);
            ObjectRef young = object("young garbage", false);
            stage(git, delta, base);
            git.commit()
                    .setMessage("v1")
                    .setAuthor("t", "t@e")
                    .setCommitter("t", "t@e")
                    .call();
            stage(git, stashed);
            git.stashCreate().setPerson(new PersonIdent("t", "t@e")).call();
            stage(git, staged);

            try (ThetaRepository repo = ThetaRepository.open(new ThetaRepository.Location(gitDir, gitDir, work))) {
                GcReport first = gc(repo);
                assertThat(removed(first)).containsExactly(garbage.id());
                assertThat(first.keptYoung()).isEqualTo(1);
                assertThat(store.contains(young.id())).isTrue();
                for (ObjectRef kept : List.of(base, delta, stashed, staged)) {
                    assertThat(store.contains(kept.id())).isTrue();
                }

                git.stashDrop().call();
                assertThat(removed(gc(repo))).containsExactly(stashed.id());

                GcReport dry = repo.gc(new GcOptions(NOW.plusSeconds(1), NOW, true, Optional.empty()));
                assertThat(removed(dry)).containsExactly(young.id());
                assertThat(store.contains(young.id()))
                        .as("a dry run removes nothing")
                        .isTrue();
            }
        }
    }

    @Test
    void manifestsAreFoundByTheirContentWhateverTheFileIsCalled() throws Exception {
        Path gitDir = work.resolve(".git");
        store = ObjectStore.inGitDir(gitDir);
        try (Git git =
                Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
            List<ObjectRef> used = new ArrayList<>();
            for (String path : List.of("pytorch_model.bin", "consolidated.00.pth", "model.gguf", "weights")) {
                ObjectRef r = object(path, true);
                stage(git, path, r);
                used.add(r);
            }
            git.commit()
                    .setMessage("checkpoints of every name")
                    .setAuthor("t", "t@e")
                    .setCommitter("t", "t@e")
                    .call();
            ObjectRef garbage = object("garbage", true);
            try (ThetaRepository repo = ThetaRepository.open(new ThetaRepository.Location(gitDir, gitDir, work))) {
                assertThat(removed(gc(repo))).containsExactly(garbage.id());
                for (ObjectRef r : used) assertThat(store.contains(r.id())).isTrue();
            }
        }
    }

    @Test
    void anObjectWrittenAgainIsFreshenedSoGcSparesIt() throws Exception {
        store = ObjectStore.inGitDir(work.resolve(".git"));
        ObjectRef old = object("reused by an add running now", true);
        store.write(out -> out.write("reused by an add running now".getBytes()));
        assertThat(Files.getLastModifiedTime(store.pathOf(old.id())).toInstant())
                .isAfter(NOW.minus(AGE));
    }
}
