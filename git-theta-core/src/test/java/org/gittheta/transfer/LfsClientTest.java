package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LfsClientTest {
    private static final LfsClient.Options FAST = new LfsClient.Options(4, 4, Duration.ofMillis(10));

    @TempDir
    Path tmp;

    private FakeLfsServer server;
    private ObjectStore local;
    private ObjectStore other;

    @BeforeEach
    void start() throws IOException {
        server = new FakeLfsServer();
        local = new ObjectStore(tmp.resolve("a/lfs"));
        other = new ObjectStore(tmp.resolve("b/lfs"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private LfsClient client(Credentials credentials) {
        return new LfsClient(server.endpoint(), credentials, FAST, Progress.NONE);
    }

    /** {@code count} objects of random bytes, of {@code size} bytes and up, written to {@code store}. */
    static List<ObjectRef> objects(ObjectStore store, int count, int size) throws IOException {
        List<ObjectRef> refs = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(count * 31L + size);
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[size + i];
            rnd.nextBytes(b);
            ObjectId id = store.write(out -> out.write(b));
            refs.add(new ObjectRef(id, b.length));
        }
        return refs;
    }

    @Test
    void uploadsWhatTheServerLacksAndDownloadsItVerified() throws IOException {
        List<ObjectRef> refs = objects(local, 12, 70_000);
        assertThat(client(Credentials.NONE).push(refs, local)).isEqualTo(12);
        assertThat(server.verifyCalls).hasValue(12);
        assertThat(client(Credentials.NONE).push(refs, local))
                .as("second push: the server has everything")
                .isZero();

        client(Credentials.NONE).fetch(refs, other);
        for (ObjectRef r : refs) {
            assertThat(Files.readAllBytes(other.pathOf(r.id()))).isEqualTo(Files.readAllBytes(local.pathOf(r.id())));
        }
        assertThat(other.storeDir().resolve("incomplete")).isEmptyDirectory();
    }

    @Test
    void retriesServerErrors() throws IOException {
        List<ObjectRef> refs = objects(local, 2, 1000);
        client(Credentials.NONE).push(refs, local);
        server.batchFailures.set(2);
        server.batchCalls.set(0);
        client(Credentials.NONE).fetch(refs, other);
        assertThat(server.batchCalls).hasValue(3);
        assertThat(other.contains(refs.getFirst().id())).isTrue();
    }

    @Test
    void givesUpAfterTheLastTry() throws IOException {
        List<ObjectRef> refs = objects(local, 1, 1000);
        server.batchFailures.set(10);
        assertThatThrownBy(() -> client(Credentials.NONE).push(refs, local))
                .hasMessageContaining("batch upload failed: HTTP 500: try again");
    }

    @Test
    void asksForCredentialsOnceAndApprovesThem() throws IOException {
        server.requiredAuth = "u:p";
        RecordingCredentials creds = new RecordingCredentials("u", "p");
        List<ObjectRef> refs = objects(local, 5, 1000);
        LfsClient c = client(creds);
        c.push(refs, local);
        c.fetch(refs, other);
        assertThat(creds.log).containsExactly("fill", "approve");
        assertThat(other.contains(refs.getLast().id())).isTrue();
    }

    @Test
    void rejectsWrongCredentialsWithAClearError() throws IOException {
        server.requiredAuth = "u:p";
        RecordingCredentials creds = new RecordingCredentials("u", "wrong");
        List<ObjectRef> refs = objects(local, 1, 1000);
        assertThatThrownBy(() -> client(creds).push(refs, local))
                .hasMessageContaining("authentication failed (HTTP 401) for user 'u'");
        assertThat(creds.log).containsExactly("fill", "reject");
        assertThatThrownBy(() -> client(Credentials.NONE).push(refs, local))
                .hasMessageContaining("authentication required");
    }

    @Test
    void refusesACorruptObject() throws IOException {
        List<ObjectRef> refs = objects(local, 1, 5000);
        client(Credentials.NONE).push(refs, local);
        server.corrupt = true;
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(refs, other))
                .hasMessageContaining(
                        "served a corrupt object " + refs.getFirst().id());
        assertThat(other.contains(refs.getFirst().id())).isFalse();
        assertThat(other.storeDir().resolve("incomplete")).isEmptyDirectory();
    }

    @Test
    void resumesAnInterruptedDownloadWithRange() throws IOException {
        List<ObjectRef> refs = objects(local, 1, 300_000);
        client(Credentials.NONE).push(refs, local);
        server.cutAfter = 100_000;
        client(Credentials.NONE).fetch(refs, other);
        // the JDK client may drop the last buffers it had when the connection broke: resumed at most from 100000
        assertThat(server.ranges)
                .singleElement()
                .satisfies(range -> assertThat(range)
                        .matches("bytes=\\d+-")
                        .satisfies(r -> assertThat(Long.parseLong(r.replaceAll("\\D", "")))
                                .isBetween(1L, 100_000L)));
        assertThat(Files.readAllBytes(other.pathOf(refs.getFirst().id())))
                .isEqualTo(Files.readAllBytes(local.pathOf(refs.getFirst().id())));
    }

    @Test
    void leavesOutObjectsTheServerDoesNotHaveButFailsOnInvalidOnes() throws IOException {
        List<ObjectRef> refs = objects(local, 1, 100);
        client(Credentials.NONE).fetch(refs, other);
        assertThat(other.contains(refs.getFirst().id())).isFalse();
        server.notFoundCode = 422;
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(refs, other))
                .hasMessageContaining("rejected as invalid (422)");
    }

    @Test
    void pushRefusesObjectsMissingLocally() throws IOException {
        ObjectRef absent =
                new ObjectRef(ObjectId.fromDigest(ObjectStore.sha256().digest(new byte[] {1})), 1);
        assertThatThrownBy(() -> client(Credentials.NONE).push(List.of(absent), local))
                .hasMessageContaining("missing locally");
    }

    @Test
    void thousandsOfObjectsArriveVerifiedInBatchesAskedForWhileTransfersRun() throws IOException {
        server.requiredAuth = "u:p";
        List<ObjectRef> refs = objects(local, 1050, 500);
        RecordingCredentials creds = new RecordingCredentials("u", "p");
        server.onDownload = () -> sleep(2); // transfers take a moment, as over a network
        LfsClient client = client(creds);

        assertThat(client.push(refs, local)).isEqualTo(1050);
        assertThat(server.objects).hasSize(1050);
        assertThat(server.batchCalls).as("batches of 100").hasValue(11);
        server.batchCalls.set(0);
        server.batchCallsDuringTransfers.set(0);

        client.fetch(refs, other);
        for (ObjectRef r : refs) {
            assertThat(Files.readAllBytes(other.pathOf(r.id()))).isEqualTo(server.objects.get(r.id().hex()));
        }
        assertThat(other.storeDir().resolve("incomplete")).isEmptyDirectory();
        assertThat(server.batchCalls).hasValue(11);
        assertThat(server.batchCallsDuringTransfers)
                .as("the next batch is asked for while the previous batch's transfers run")
                .hasPositiveValue();
        assertThat(server.mostTransfersAtOnce.get()).as("transfers at once").isBetween(2, FAST.concurrency());
        assertThat(creds.log).as("git credential asked once for all transfers").containsExactly("fill", "approve");
    }

    @Test
    void anObjectThatFailsMidBatchIsRetriedThenNamedAndLeavesNoPartialFile() throws IOException {
        List<ObjectRef> refs = objects(local, 150, 100);
        client(Credentials.NONE).push(refs, local);
        ObjectId failing = refs.get(120).id(); // in the second batch
        server.failingObject = failing.hex();

        server.failuresLeft.set(1);
        client(Credentials.NONE).fetch(refs, other);
        assertThat(server.failedTransfers).as("failed once, then retried").hasValue(1);
        assertThat(other.containsIntact(failing)).isTrue();

        ObjectStore third = new ObjectStore(tmp.resolve("c/lfs"));
        server.failedTransfers.set(0);
        server.failuresLeft.set(Integer.MAX_VALUE);
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(refs, third))
                .hasMessageContaining("download of object " + failing)
                .hasMessageContaining("HTTP 500: failing on purpose");
        assertThat(server.failedTransfers).as("every try").hasValue(FAST.attempts());
        assertThat(third.contains(failing)).isFalse();
        assertThat(third.storeDir().resolve("incomplete")).isEmptyDirectory();
        assertThat(third.containsIntact(refs.get(119).id()))
                .as("the other objects of its batch arrived")
                .isTrue();
    }

    @Test
    void anUploadThatKeepsFailingNamesTheObject() throws IOException {
        List<ObjectRef> refs = objects(local, 150, 100);
        ObjectId failing = refs.get(120).id();
        server.failingObject = failing.hex();
        server.failuresLeft.set(Integer.MAX_VALUE);
        assertThatThrownBy(() -> client(Credentials.NONE).push(refs, local))
                .hasMessageContaining("upload of object " + failing)
                .hasMessageContaining("HTTP 500");
        assertThat(server.objects)
                .doesNotContainKey(failing.hex())
                .containsKey(refs.get(119).id().hex());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void derivesTheEndpointAsGitLfsDoes() throws IOException {
        assertThat(LfsEndpoint.fromRemoteUrl("https://example.com/org/model"))
                .contains(URI.create("https://example.com/org/model.git/info/lfs"));
        assertThat(LfsEndpoint.fromRemoteUrl("https://example.com:8443/org/model.git/"))
                .contains(URI.create("https://example.com:8443/org/model.git/info/lfs"));
        assertThat(LfsEndpoint.fromRemoteUrl("git@example.com:org/model.git"))
                .contains(URI.create("https://example.com/org/model.git/info/lfs"));
        assertThat(LfsEndpoint.fromRemoteUrl("ssh://git@example.com:22/org/model"))
                .contains(URI.create("https://example.com/org/model.git/info/lfs"));
        assertThat(LfsEndpoint.fromRemoteUrl("/srv/git/model.git")).isEmpty();
        assertThat(LfsEndpoint.fromRemoteUrl("file:///srv/git/model.git")).isEmpty();
    }

    private static final class RecordingCredentials implements Credentials {
        final List<String> log = new ArrayList<>();
        private final Credential credential;

        RecordingCredentials(String user, String password) {
            credential = new Credential(user, password);
        }

        @Override
        public synchronized Optional<Credential> fill(URI url) {
            log.add("fill");
            return Optional.of(credential);
        }

        @Override
        public synchronized void approve(URI url, Credential c) {
            log.add("approve");
        }

        @Override
        public synchronized void reject(URI url, Credential c) {
            log.add("reject");
        }
    }
}
