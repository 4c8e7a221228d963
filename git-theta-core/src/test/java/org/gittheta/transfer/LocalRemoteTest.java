package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A repository on disk as a remote: a corrupt object on either side is never spread, and is repaired. */
class LocalRemoteTest {
    private static final byte[] BYTES = "a parameter's bytes, stored once".getBytes();

    @TempDir
    Path tmp;

    private ObjectStore local;
    private LocalRemote remote;
    private ObjectRef ref;

    @BeforeEach
    void setUp() throws IOException {
        local = new ObjectStore(tmp.resolve("work/.git/theta"));
        remote = LocalRemote.of(tmp.resolve("shared.git"));
        ref = new ObjectRef(local.write(out -> out.write(BYTES)), BYTES.length);
    }

    private static void corrupt(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[0] ^= 1;
        Files.write(file, b);
    }

    @Test
    void aCorruptLocalObjectIsNotPushed() throws IOException {
        corrupt(local.pathOf(ref.id()));
        assertThatThrownBy(() -> remote.push(List.of(ref), local))
                .hasMessageContaining("not pushing to " + remote.describe())
                .hasMessageContaining("object " + ref.id() + " is corrupt");
        assertThat(remote.store().contains(ref.id())).isFalse();
    }

    @Test
    void aPushReplacesACorruptCopyOnTheRemote() throws IOException {
        Path there = remote.store().pathOf(ref.id());
        Files.createDirectories(there.getParent());
        Files.write(there, "garbage".getBytes());
        assertThat(remote.push(List.of(ref), local)).isEqualTo(1);
        assertThat(Files.readAllBytes(there)).isEqualTo(BYTES);
        assertThat(Files.readAllBytes(local.pathOf(ref.id())))
                .as("the local copy is untouched")
                .isEqualTo(BYTES);
    }

    @Test
    void aPushedCopySharesNoBytesWithTheLocalOne() throws IOException {
        remote.push(List.of(ref), local);
        corrupt(local.pathOf(ref.id())); // in place, as a bad disk block or a stray write would
        assertThat(Files.readAllBytes(remote.store().pathOf(ref.id()))).isEqualTo(BYTES);
        assertThat(remote.store().containsIntact(ref.id())).isTrue();
        assertThat(Files.isSameFile(local.pathOf(ref.id()), remote.store().pathOf(ref.id())))
                .isFalse();
    }

    @Test
    void aFetchReplacesACorruptLocalCopy() throws IOException {
        remote.push(List.of(ref), local);
        Path here = local.pathOf(ref.id());
        Files.write(here, "garbage".getBytes()); // in place: the remote's copy is a copy, not a link
        remote.fetch(List.of(ref), local);
        assertThat(Files.readAllBytes(here)).isEqualTo(BYTES);
    }

    @Test
    void aFetchedCopySharesNoBytesWithTheRemoteOne() throws IOException {
        remote.push(List.of(ref), local);
        ObjectStore fresh = new ObjectStore(tmp.resolve("clone/.git/theta"));
        remote.fetch(List.of(ref), fresh);
        corrupt(fresh.pathOf(ref.id())); // in place: the remote's copy must not change with it
        assertThat(Files.readAllBytes(remote.store().pathOf(ref.id()))).isEqualTo(BYTES);
        assertThat(Files.isSameFile(fresh.pathOf(ref.id()), remote.store().pathOf(ref.id())))
                .isFalse();
    }

    @Test
    void aCorruptRemoteCopyIsNotFetched() throws IOException {
        Path there = remote.store().pathOf(ref.id());
        Files.createDirectories(there.getParent());
        Files.write(there, "garbage".getBytes());
        ObjectStore fresh = new ObjectStore(tmp.resolve("clone/.git/theta"));
        assertThatThrownBy(() -> remote.fetch(List.of(ref), fresh))
                .hasMessageContaining(remote.describe() + " holds a corrupt copy")
                .hasMessageContaining(ref.id().hex());
        assertThat(fresh.contains(ref.id())).isFalse();
    }
}
