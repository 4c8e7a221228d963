package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Each test points the client at a loopback server that misbehaves in one way, and checks the outcome. */
@Timeout(60)
class LfsMisbehavingServerTest {
    private static final LfsClient.Options FAST =
            new LfsClient.Options(4, 2, Duration.ofMillis(10), Duration.ofSeconds(20));
    /** For the stall tests, which would hang for good without the activity timeout. */
    private static final LfsClient.Options IMPATIENT = FAST.withActivityTimeout(Duration.ofMillis(1500));

    @TempDir
    Path tmp;

    private FakeLfsServer server;
    private FakeLfsServer other;
    private ObjectStore local;
    private ObjectStore fresh;

    @BeforeEach
    void start() throws IOException {
        server = new FakeLfsServer();
        other = new FakeLfsServer();
        local = new ObjectStore(tmp.resolve("a/lfs"));
        fresh = new ObjectStore(tmp.resolve("b/lfs"));
    }

    @AfterEach
    void stop() {
        server.close();
        other.close();
    }

    private LfsClient client(Credentials credentials) {
        return new LfsClient(server.endpoint(), credentials, FAST, Progress.NONE);
    }

    private LfsClient impatientClient() {
        return new LfsClient(server.endpoint(), Credentials.NONE, IMPATIENT, Progress.NONE);
    }

    private List<ObjectRef> stored(int count, int size) throws IOException {
        List<ObjectRef> refs = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(size);
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[size + i];
            rnd.nextBytes(b);
            refs.add(new ObjectRef(local.write(out -> out.write(b)), b.length));
            server.objects.put(refs.getLast().id().hex(), b);
        }
        return refs;
    }

    private static Credentials always(String user, String password) {
        return new Credentials() {
            @Override
            public Optional<Credential> fill(URI url) {
                return Optional.of(new Credential(user, password));
            }

            @Override
            public void approve(URI url, Credential c) {}

            @Override
            public void reject(URI url, Credential c) {}
        };
    }

    private static void flipAByte(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 1);
        }
    }

    private void assertNothingStored(ObjectRef ref) throws IOException {
        assertThat(fresh.contains(ref.id())).isFalse();
        Path incomplete = fresh.storeDir().resolve("incomplete");
        if (Files.exists(incomplete)) assertThat(incomplete).isEmptyDirectory();
    }

    // ---- credentials

    @Test
    void endpointCredentialsNeverGoToTheHostAnActionNames() throws IOException {
        server.requiredAuth = "u:p";
        other.hrefBase = null;
        server.hrefBase = other.endpoint().toString();
        List<ObjectRef> refs = stored(2, 1000);
        other.objects.putAll(server.objects);
        client(always("u", "p")).fetch(refs, fresh);
        assertThat(fresh.containsIntact(refs.getFirst().id())).isTrue();
        assertThat(server.authorizations).as("the endpoint gets them").contains("Basic dTpw");
        assertThat(other.authorizations).hasSize(2).containsOnly("-");

        server.objects.clear();
        other.objects.clear();
        client(always("u", "p")).push(refs, local);
        assertThat(other.objects).hasSize(2);
        assertThat(other.authorizations)
                .as("uploads and verify calls too")
                .hasSize(6)
                .containsOnly("-");
    }

    @Test
    void aRedirectToAnotherHostCarriesNoCredentials() throws IOException {
        server.requiredAuth = "u:p";
        server.redirectDownloadsTo = other.endpoint().toString();
        List<ObjectRef> refs = stored(1, 5000);
        other.objects.putAll(server.objects);
        client(always("u", "p")).fetch(refs, fresh);
        assertThat(fresh.containsIntact(refs.getFirst().id())).isTrue();
        assertThat(server.downloads)
                .as("the first hop, to the endpoint, is authenticated")
                .hasValue(1);
        assertThat(server.authorizations).last().isEqualTo("Basic dTpw");
        assertThat(other.authorizations).containsExactly("-");
    }

    @Test
    void aHostThatAsksForCredentialsGetsNoneOfTheEndpoints() throws IOException {
        other.requiredAuth = "u:p";
        server.hrefBase = other.endpoint().toString();
        List<ObjectRef> refs = stored(1, 100);
        other.objects.putAll(server.objects);
        assertThatThrownBy(() -> client(always("u", "p")).fetch(refs, fresh))
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("not sent to another host");
        assertThat(other.authorizations).containsOnly("-");
    }

    // ---- redirects and bad URLs

    @Test
    void aRedirectLoopFailsNamingTheObject() throws IOException {
        server.redirectDownloadsTo = server.endpoint().toString();
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("download of object " + ref.id())
                .hasMessageContaining("more than " + LfsHttp.MAX_REDIRECTS + " redirects")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(server.downloads).hasValue(LfsHttp.MAX_REDIRECTS + 1);
        assertNothingStored(ref);
    }

    @Test
    void aFileHrefIsRefusedNamingTheObject() throws IOException {
        server.hrefBase = "file://" + tmp;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("object " + ref.id())
                .hasMessageContaining("file://")
                .hasMessageContaining("not an http(s) URL");
        assertNothingStored(ref);
    }

    @Test
    void aRedirectToAFileUrlIsRefused() throws IOException {
        server.redirectDownloadsTo = "file://" + tmp;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("download of object " + ref.id())
                .hasMessageContaining("not an http(s) URL");
    }

    // ---- stalls

    @Test
    void aDownloadThatStallsAfterTenBytesIsRetriedThenFailsNamingTheObject() throws IOException {
        server.stallDownload = true;
        ObjectRef ref = stored(1, 100_000).getFirst();
        assertThatThrownBy(() -> impatientClient().fetch(List.of(ref), fresh))
                .hasMessageContaining("download of object " + ref.id())
                .hasMessageContaining("no data moved for 1500 ms");
        assertThat(server.downloads).as("tried again after the first stall").hasValue(FAST.attempts());
        assertThat(fresh.contains(ref.id())).isFalse();
        assertThat(fresh.storeDir().resolve("incomplete").resolve(ref.id().hex() + ".part"))
                .as("what arrived is kept for the next fetch to resume")
                .hasSize(10);
    }

    @Test
    void aServerThatNeverAnswersIsGivenUpOn() throws IOException {
        server.stallDownloadHeaders = true;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> impatientClient().fetch(List.of(ref), fresh))
                .hasMessageContaining("download of object " + ref.id())
                .hasMessageContaining("no data moved");
    }

    @Test
    void aBatchReplyThatStallsFails() throws IOException {
        server.stallBatch = true;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> impatientClient().fetch(List.of(ref), fresh))
                .hasMessageContaining("batch download")
                .hasMessageContaining("no data moved");
    }

    @Test
    void anUploadTheServerStopsReadingFails() throws IOException {
        server.stallUpload = true;
        List<ObjectRef> refs = stored(1, 16 << 20); // more than the socket buffers take in
        server.objects.clear();
        assertThatThrownBy(() -> impatientClient().push(refs, local))
                .hasMessageContaining("upload of object " + refs.getFirst().id())
                .hasMessageContaining("no data moved");
    }

    // ---- size bounds

    @Test
    void aDownloadThatNeverEndsStopsAtTheObjectsSizeAndLeavesNothing() throws IOException {
        server.endlessDownload = true;
        ObjectRef ref = stored(1, 100_000).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("download of object " + ref.id())
                .hasMessageContaining("more than the 100000 bytes");
        assertThat(server.downloads)
                .as("not retried: asking again gets the same")
                .hasValue(1);
        assertNothingStored(ref);
    }

    @Test
    void aDownloadAnnouncedLongerThanTheObjectIsRefusedBeforeReading() throws IOException {
        server.extraBytes = 1000;
        ObjectRef ref = stored(1, 5000).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("sends 6000 bytes but the object has 5000");
        assertNothingStored(ref);
    }

    @Test
    void aBatchReplyThatNeverEndsIsCutOff() throws IOException {
        server.endlessBatch = true;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .isInstanceOf(LfsProtocolException.class)
                .hasMessageContaining("larger than " + LfsClient.BATCH_REPLY_LIMIT + " bytes");
    }

    @Test
    void anErrorBodyThatNeverEndsIsReadOnlyForItsStart() throws IOException {
        server.endlessErrorBody = true;
        ObjectRef ref = stored(1, 100).getFirst();
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .hasMessageContaining("batch download failed: HTTP 500: xxx")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(600));
    }

    // ---- verification and repair

    @Test
    void fetchReplacesACorruptLocalCopy() throws IOException {
        ObjectRef ref = stored(1, 5000).getFirst();
        Files.createDirectories(fresh.pathOf(ref.id()).getParent());
        Files.copy(local.pathOf(ref.id()), fresh.pathOf(ref.id()));
        flipAByte(fresh.pathOf(ref.id()));
        client(Credentials.NONE).fetch(List.of(ref), fresh);
        assertThat(fresh.containsIntact(ref.id())).isTrue();
        assertThat(server.downloads).hasValue(1);
    }

    @Test
    void aCorruptLocalObjectIsNeverUploaded() throws IOException {
        ObjectRef ref = stored(1, 5000).getFirst();
        server.objects.clear();
        flipAByte(local.pathOf(ref.id()));
        assertThatThrownBy(() -> client(Credentials.NONE).push(List.of(ref), local))
                .hasMessageContaining("not uploading")
                .hasMessageContaining("object " + ref.id() + " is corrupt");
        assertThat(server.objects).isEmpty();
    }

    /** The hash is checked as the bytes go out: a corrupt end is caught after the first megabytes were sent. */
    @Test
    void aLargeObjectCorruptAtItsEndIsNotUploadedWhole() throws IOException {
        ObjectRef ref = stored(1, 3 << 20).getFirst();
        server.objects.clear();
        try (RandomAccessFile f = new RandomAccessFile(local.pathOf(ref.id()).toFile(), "rw")) {
            f.seek(f.length() - 1);
            int last = f.read();
            f.seek(f.length() - 1);
            f.write(last ^ 1);
        }
        assertThatThrownBy(() -> client(Credentials.NONE).push(List.of(ref), local))
                .hasMessageContaining("not uploading")
                .hasMessageContaining("object " + ref.id() + " is corrupt: its bytes hash to");
        assertThat(server.objects).isEmpty();
    }

    @Test
    void anObjectOfTheWrongLengthIsNotUploaded() throws IOException {
        ObjectRef ref = stored(1, 200_000).getFirst();
        server.objects.clear();
        Path file = local.pathOf(ref.id());
        Files.write(file, new byte[] {1}, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> client(Credentials.NONE).push(List.of(ref), local))
                .hasMessageContaining("not uploading")
                .hasMessageContaining("object " + ref.id() + " is corrupt: it holds more than its 200000 bytes");
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 150_000));
        assertThatThrownBy(() -> client(Credentials.NONE).push(List.of(ref), local))
                .hasMessageContaining("object " + ref.id() + " is corrupt: it holds 150000 of its 200000 bytes");
        assertThat(server.objects).isEmpty();
    }

    @Test
    void twoFetchesOfOneObjectAtOnceBothSucceedWithoutSharingAFile() throws Exception {
        ObjectRef ref = stored(1, 2 << 20).getFirst();
        CyclicBarrier bothStarted = new CyclicBarrier(2);
        CyclicBarrier bothLooked = new CyclicBarrier(2); // neither download completes (and renames its file) before
        List<List<Path>> seen = new ArrayList<>();
        server.onDownload = () -> {
            try {
                bothStarted.await(10, java.util.concurrent.TimeUnit.SECONDS);
                try (var files = Files.list(fresh.storeDir().resolve("incomplete"))) {
                    synchronized (seen) {
                        seen.add(files.toList());
                    }
                }
                bothLooked.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        try (var two = Executors.newVirtualThreadPerTaskExecutor()) {
            var a = two.submit(() -> fetchQuietly(ref));
            var b = two.submit(() -> fetchQuietly(ref));
            a.get();
            b.get();
        }
        assertThat(fresh.containsIntact(ref.id())).isTrue();
        assertThat(seen).allSatisfy(files -> assertThat(files).hasSize(2).doesNotHaveDuplicates());
        assertThat(fresh.storeDir().resolve("incomplete")).isEmptyDirectory();
    }

    private void fetchQuietly(ObjectRef ref) {
        try {
            client(Credentials.NONE).fetch(List.of(ref), fresh);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anInterruptedDownloadIsResumedByTheNextFetch() throws IOException {
        ObjectRef ref = stored(1, 300_000).getFirst();
        Path part = fresh.storeDir().resolve("incomplete").resolve(ref.id().hex() + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(server.objects.get(ref.id().hex()), 1000));
        client(Credentials.NONE).fetch(List.of(ref), fresh);
        assertThat(server.ranges).containsExactly("bytes=1000-");
        assertThat(fresh.containsIntact(ref.id())).isTrue();
        assertThat(part.getParent()).isEmptyDirectory();
    }

    @Test
    void whatArrivedBeforeTheServerStoppedAnsweringIsKeptForTheNextFetch() throws IOException {
        ObjectRef ref = stored(1, 300_000).getFirst();
        server.cutAfter = 1000;
        server.onDownload = () -> { // from the next try on, every download fails
            server.failingObject = ref.id().hex();
            server.failuresLeft.set(1_000);
        };
        assertThatThrownBy(() -> client(Credentials.NONE).fetch(List.of(ref), fresh))
                .hasMessageContaining("download of object " + ref.id());
        Path part = fresh.storeDir().resolve("incomplete").resolve(ref.id().hex() + ".part");
        assertThat(part).hasSize(1000);

        server.failuresLeft.set(0);
        client(Credentials.NONE).fetch(List.of(ref), fresh);
        assertThat(server.ranges).containsExactly("bytes=1000-");
        assertThat(fresh.containsIntact(ref.id())).isTrue();
    }
}
