package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.gittheta.fuzz.FuzzLoop;
import org.gittheta.fuzz.Mutator;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testdata.TestCheckpoints.KeyOrder;
import org.junit.jupiter.api.Test;

/** Mutated and random safetensors files and skeletons give a BadCheckpointException or a layout that accounts for every
 * byte. */
class SafetensorsFuzzTest {
    static final int MUTATED_FILES = 8_000;
    static final int RANDOM_FILES = 3_000;
    static final int MUTATED_SKELETONS = 6_000;
    static final int PREFIXES = 3_000;
    private static final String FILE = "fuzz.safetensors";
    private static final SafetensorsFormat FORMAT = SafetensorsFormat.INSTANCE;

    /** Valid files of varied shape: dtypes, scalars, empty tensors, metadata, pretty printing, padding, key order. */
    static List<byte[]> validFiles() {
        Random random = new Random(7);
        List<byte[]> files = new ArrayList<>();
        DType[] dtypes = Arrays.stream(DType.values())
                .filter(t -> t.kind() != DType.Kind.QUANTIZED)
                .toArray(DType[]::new);
        for (int f = 0; f < 24; f++) {
            TestCheckpoints.SafetensorsBuilder b = TestCheckpoints.safetensors()
                    .seed(f)
                    .keyOrder(KeyOrder.values()[f % KeyOrder.values().length])
                    .padding(random.nextInt(9));
            if (f % 3 == 0) b.pretty();
            if (f % 2 == 0) b.metadata("format", "pt").metadata("note", "v" + f);
            for (int t = random.nextInt(5); t >= 0; t--) {
                DType dtype = dtypes[random.nextInt(dtypes.length)];
                long[] dims = new long[random.nextInt(4)];
                for (int d = 0; d < dims.length; d++) dims[d] = random.nextInt(4);
                if (dtype.bits() % 8 != 0) dims = dims.length == 0 ? new long[] {4} : withLastTimes4(dims);
                b.tensor("layers." + t + ".weight", dtype, dims);
            }
            files.add(b.bytes());
        }
        return files;
    }

    private static long[] withLastTimes4(long[] dims) {
        long[] d = dims.clone();
        d[d.length - 1] *= 4;
        return d;
    }

    private static void read(byte[] input) throws BadCheckpointException {
        CheckpointLayout layout = FORMAT.read(FILE, MemorySegment.ofArray(input));
        assertThat(layout.fileSize()).isEqualTo(input.length);
    }

    @Test
    void mutatedFilesAreReadOrRefused() {
        List<byte[]> corpus = validFiles();
        Mutator mutator = new Mutator(1);
        FuzzLoop.run(
                MUTATED_FILES, () -> mutator.mutate(corpus), BadCheckpointException.class, SafetensorsFuzzTest::read);
    }

    @Test
    void randomBytesAreRefused() {
        List<byte[]> corpus = validFiles();
        Mutator mutator = new Mutator(2);
        FuzzLoop.run(
                RANDOM_FILES,
                () -> mutator.noise(corpus, 300),
                BadCheckpointException.class,
                SafetensorsFuzzTest::read);
    }

    @Test
    void mutatedSkeletonsAreReadOrRefused() throws Exception {
        List<byte[]> skeletons = new ArrayList<>();
        for (byte[] file : validFiles())
            skeletons.add(FORMAT.read(FILE, MemorySegment.ofArray(file)).skeleton());
        Mutator mutator = new Mutator(3);
        FuzzLoop.run(MUTATED_SKELETONS, () -> mutator.mutate(skeletons), BadCheckpointException.class, input -> {
            CheckpointLayout layout = FORMAT.fromSkeleton(FILE, input);
            assertThat(layout.skeletonLength()).isEqualTo(input.length);
        });
    }

    @Test
    void mutatedPrefixesGiveAHeaderLengthWithinTheLimitOrAreRefused() {
        List<byte[]> corpus = validFiles();
        Mutator mutator = new Mutator(4);
        FuzzLoop.run(PREFIXES, () -> mutator.mutate(corpus), BadCheckpointException.class, input -> {
            byte[] prefix = Arrays.copyOf(input, Math.min(input.length, FORMAT.minPrefix()));
            long length = FORMAT.skeletonLength(FILE, MemorySegment.ofArray(prefix));
            assertThat(length).isBetween(8L, 8 + SafetensorsFormat.MAX_HEADER_LENGTH);
        });
    }
}
