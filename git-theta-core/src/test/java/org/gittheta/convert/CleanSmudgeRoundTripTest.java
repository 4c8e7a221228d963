package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testing.FileTrees;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;

/** Random checkpoints of every dtype go through clean and smudge (without git) and come back byte-exactly. */
class CleanSmudgeRoundTripTest {
    record Spec(DType dtype, int rows, int cols) {}

    /** Records what clean and smudge report, to check that their progress ends at the file size. */
    private static final class CountingProgress implements Progress {
        final AtomicLong done = new AtomicLong();
        long total = -1;

        @Override
        public Task start(String label, long total, int items) {
            this.total = total;
            return new Task() {
                @Override
                public void advance(long n) {
                    done.addAndGet(n);
                }

                @Override
                public void close() {}
            };
        }
    }

    @Provide
    Arbitrary<List<Spec>> tensors() {
        Arbitrary<Spec> one = Combinators.combine(
                        Arbitraries.of(DType.class).filter(t -> t.kind() != DType.Kind.QUANTIZED),
                        Arbitraries.integers().between(0, 40),
                        Arbitraries.integers().between(0, 40).map(c -> c / 2 * 2))
                .as(Spec::new);
        return one.list().ofMaxSize(12);
    }

    @Property(tries = 40)
    void cleanThenSmudgeIsIdentity(@ForAll("tensors") List<Spec> specs, @ForAll long seed, @ForAll Codec codec)
            throws IOException {
        TestCheckpoints.SafetensorsBuilder b =
                TestCheckpoints.safetensors().seed(seed).keyOrder(TestCheckpoints.KeyOrder.SHUFFLED);
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            b.tensor("t" + i, s.dtype(), s.rows(), s.dtype().bits() < 8 ? s.cols() * 2 : s.cols());
        }
        byte[] file = b.bytes();
        Path dir = Files.createTempDirectory("theta-store");
        try {
            ObjectStore store = new ObjectStore(dir);
            CountingProgress cleaned = new CountingProgress();
            Cleaner cleaner = new Cleaner(store, new ParamEncoder(store, codec, UpdateOptions.auto()), cleaned, false);
            Manifest m = cleaner.clean(
                    "m.safetensors", SafetensorsFormat.INSTANCE, new ByteArrayInputStream(file), Optional.empty());
            Manifest again = Manifest.parse(m.toBytes());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CountingProgress smudged = new CountingProgress();
            new Smudger(store, new MissingObjects(store, Optional.empty()), smudged)
                    .smudge("m.safetensors", again, out);
            assertThat(out.toByteArray()).isEqualTo(file);
            // what a terminal shows last: the whole file done, 100 %
            assertThat(cleaned.done)
                    .as("bytes reported by clean")
                    .hasValue(file.length)
                    .hasValue(cleaned.total);
            assertThat(smudged.done)
                    .as("bytes reported by smudge")
                    .hasValue(file.length)
                    .hasValue(smudged.total);
            Manifest reclean = cleaner.clean(
                    "m.safetensors", SafetensorsFormat.INSTANCE, new ByteArrayInputStream(file), Optional.of(again));
            assertThat(reclean.toText()).isEqualTo(m.toText());
        } finally {
            FileTrees.delete(dir);
        }
    }
}
