package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A corrupt file at an object's path is replaced when the object is written or received again. */
class ObjectStoreRepairTest {
    private static final byte[] BYTES = "the weights of a small layer".getBytes();

    @TempDir
    Path dir;

    private ObjectId damaged(ObjectStore store) throws IOException {
        ObjectId id = store.write(out -> out.write(BYTES));
        byte[] bad = BYTES.clone();
        bad[3] ^= 1;
        Files.write(store.pathOf(id), bad);
        assertThat(store.containsIntact(id)).isFalse();
        assertThat(store.contains(id)).isTrue();
        return id;
    }

    @Test
    void receivingAnObjectAgainReplacesACorruptCopy() throws IOException {
        ObjectStore store = new ObjectStore(dir);
        ObjectId id = damaged(store);
        store.put(id, new ByteArrayInputStream(BYTES));
        assertThat(store.containsIntact(id)).isTrue();
        assertThat(Files.readAllBytes(store.pathOf(id))).isEqualTo(BYTES);
    }

    @Test
    void aReceivedFileReplacesACorruptCopyWithoutACopy() throws IOException {
        ObjectStore store = new ObjectStore(dir);
        ObjectId id = damaged(store);
        Path received = Files.write(dir.resolve("received.part"), BYTES);
        Object inode = Files.readAttributes(received, BasicFileAttributes.class).fileKey();
        store.putFile(id, id, received);
        assertThat(received).doesNotExist();
        assertThat(store.containsIntact(id)).isTrue();
        assertThat(Files.readAttributes(store.pathOf(id), BasicFileAttributes.class)
                        .fileKey())
                .isEqualTo(inode);
    }

    @Test
    void aReceivedFileThatDoesNotHashToItsIdIsRefused() throws IOException {
        ObjectStore store = new ObjectStore(dir);
        ObjectId id = store.write(out -> out.write(BYTES));
        Files.delete(store.pathOf(id));
        byte[] bad = BYTES.clone();
        bad[0] ^= 1;
        Path received = Files.write(dir.resolve("received.part"), bad);
        assertThatThrownBy(() -> store.putFile(
                        id, ObjectId.fromDigest(ObjectStore.sha256().digest(bad)), received))
                .isInstanceOf(CorruptObjectException.class);
        assertThat(store.contains(id)).isFalse();
        assertThat(received).exists();
    }

    @Test
    void writingAnObjectAgainReplacesACorruptCopy() throws IOException {
        ObjectStore store = new ObjectStore(dir);
        ObjectId id = damaged(store);
        assertThat(store.write(out -> out.write(BYTES))).isEqualTo(id);
        assertThat(Files.readAllBytes(store.pathOf(id))).isEqualTo(BYTES);
    }

    @Test
    void anIntactCopyIsKept() throws IOException {
        ObjectStore store = new ObjectStore(dir);
        ObjectId id = store.write(out -> out.write(BYTES));
        Object inode = Files.readAttributes(store.pathOf(id), BasicFileAttributes.class)
                .fileKey();
        store.put(id, new ByteArrayInputStream(BYTES));
        assertThat(Files.readAttributes(store.pathOf(id), BasicFileAttributes.class)
                        .fileKey())
                .isEqualTo(inode);
        assertThat(dir.resolve("tmp")).isEmptyDirectory();
    }
}
