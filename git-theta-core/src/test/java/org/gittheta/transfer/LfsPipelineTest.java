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
import java.util.concurrent.atomic.AtomicInteger;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many objects through the pipelined transfer queue: batches of 100 asked for while the previous batch's transfers
 * run, at most {@code concurrency} transfers at once, one failing object retried and then named.
 */
class LfsPipelineTest {
    private static final int CONCURRENCY = 4;
    private static final int OBJECTS = 1050;
    private static final LfsClient.Options OPTIONS = new LfsClient.Options(CONCURRENCY, 3, Duration.ofMillis(5));

    @TempDir
    Path tmp;

    private FakeLfsServer server;
    private ObjectStore local;
    private ObjectStore other;

    @BeforeEach
    void start() throws IOException {
        server = new FakeLfsServer();
        server.requiredAuth = "u:p";
        local = new ObjectStore(tmp.resolve("a/lfs"));
        other = new ObjectStore(tmp.resolve("b/lfs"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Answers u:p and counts how often git would have been asked. */
    private static final class CountingCredentials implements Credentials {
        final AtomicInteger fills = new AtomicInteger();

        @Override
        public Optional<Credential> fill(URI url) {
            fills.incrementAndGet();
            return Optional.of(new Credential("u", "p"));
        }

        @Override
        public void approve(URI url, Credential credential) {}

        @Override
        public void reject(URI url, Credential credential) {}
    }

    private LfsClient client(Credentials credentials) {
        return new LfsClient(server.endpoint(), credentials, OPTIONS, Progress.NONE);
    }

    private List<ObjectRef> objects(int count) throws IOException {
        List<ObjectRef> refs = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(count);
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[1 + rnd.nextInt(3000)];
            rnd.nextBytes(b);
            refs.add(new ObjectRef(local.write(out -> out.write(b)), b.length));
        }
        local.sync();
        return refs;
    }

    @Test
    void thousandsOfObjectsArriveVerifiedInBatchesAskedForWhileTransfersRun() throws IOException {
        List<ObjectRef> refs = objects(OBJECTS);
        CountingCredentials credentials = new CountingCredentials();
        server.onDownload = () -> sleep(2); // transfers take a moment, as over a network
        LfsClient client = client(credentials);

        assertThat(client.push(refs, local)).isEqualTo(OBJECTS);
        assertThat(server.objects).hasSize(OBJECTS);
        assertThat(server.batchCalls).as("batches of 100").hasValue(11);
        server.batchCalls.set(0);
        server.batchCallsDuringTransfers.set(0);

        client.fetch(refs, other);
        for (ObjectRef r : refs) {
            assertThat(other.containsIntact(r.id())).as("object %s", r.id()).isTrue();
            assertThat(Files.readAllBytes(other.pathOf(r.id()))).isEqualTo(server.objects.get(r.id().hex()));
        }
        assertThat(other.storeDir().resolve("incomplete")).isEmptyDirectory();
        assertThat(server.batchCalls).hasValue(11);
        assertThat(server.batchCallsDuringTransfers)
                .as("the next batch is asked for while the previous batch's transfers run")
                .hasPositiveValue();
        assertThat(server.mostTransfersAtOnce.get()).as("transfers at once").isBetween(2, CONCURRENCY);
        assertThat(credentials.fills)
                .as("git credential asked once for all transfers")
                .hasValue(1);
    }

    @Test
    void anObjectThatFailsMidBatchIsRetriedThenNamedAndLeavesNoPartialFile() throws IOException {
        List<ObjectRef> refs = objects(250);
        client(new CountingCredentials()).push(refs, local);
        ObjectId failing = refs.get(150).id();
        server.failingObject = failing.hex();

        server.failuresLeft.set(1);
        client(new CountingCredentials()).fetch(refs, other);
        assertThat(server.failedTransfers).as("failed once, then retried").hasValue(1);
        assertThat(other.containsIntact(failing)).isTrue();

        ObjectStore third = new ObjectStore(tmp.resolve("c/lfs"));
        server.failedTransfers.set(0);
        server.failuresLeft.set(Integer.MAX_VALUE);
        assertThatThrownBy(() -> client(new CountingCredentials()).fetch(refs, third))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("download of object " + failing)
                .hasMessageContaining("HTTP 500: failing on purpose");
        assertThat(server.failedTransfers).as("every try").hasValue(OPTIONS.attempts());
        assertThat(third.contains(failing)).isFalse();
        assertThat(third.storeDir().resolve("incomplete")).isEmptyDirectory();
        assertThat(third.containsIntact(refs.get(149).id()))
                .as("the other objects of its batch arrived")
                .isTrue();
    }

    @Test
    void anUploadThatKeepsFailingNamesTheObject() throws IOException {
        List<ObjectRef> refs = objects(150);
        ObjectId failing = refs.get(120).id();
        server.failingObject = failing.hex();
        server.failuresLeft.set(Integer.MAX_VALUE);
        assertThatThrownBy(() -> client(new CountingCredentials()).push(refs, local))
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
}
