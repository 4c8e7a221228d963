package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objects written by an earlier git-theta still decode, and the encoder still writes them byte for byte. */
class StoredObjectsTest {
    private static Path fixture() throws URISyntaxException {
        var manifest = StoredObjectsTest.class.getResource("/stored-v1/" + StoredObjectsFixture.MANIFEST);
        return Path.of(Objects.requireNonNull(manifest).toURI()).getParent();
    }

    private static Manifest manifest(Path dir) throws IOException {
        return Manifest.parse(Files.readAllBytes(dir.resolve(StoredObjectsFixture.MANIFEST)));
    }

    @Test
    void everyKindWrittenBeforeDecodesToTheSameValues() throws Exception {
        Path dir = fixture();
        ParamDecoder decoder = new ParamDecoder(new ObjectStore(dir.resolve("lfs")));
        List<ParamEntry> params = manifest(dir).params();
        assertThat(params).extracting(ParamEntry::update).contains("dense", "sparse", "xor-delta", "ia3", "low-rank");
        assertThat(params).filteredOn(p -> p.attributes().containsKey("lossy")).hasSize(2);
        for (ParamEntry p : params) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            decoder.decode(p, out);
            assertThat(out.size()).isEqualTo(p.byteSize());
            String sha256 =
                    ValuesDigest.of(MemorySegment.ofArray(out.toByteArray())).sha256();
            assertThat(sha256).as(p.name()).isEqualTo(p.sha256());
        }
    }

    @Test
    void theEncoderWritesTheSameObjects(@TempDir Path tmp) throws Exception {
        Manifest written = StoredObjectsFixture.write(tmp);
        assertThat(written.toText()).isEqualTo(manifest(fixture()).toText());
    }
}
