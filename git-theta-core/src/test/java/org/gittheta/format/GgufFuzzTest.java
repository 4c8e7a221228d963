package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gittheta.testdata.TestCheckpoints.rebuild;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.gittheta.format.GgufFiles.Value;
import org.gittheta.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged GGUF files, read every way the filters read them: only {@link BadCheckpointException} may escape, and
 * whatever is accepted must be rebuilt byte for byte. Seeded, so a failure is reproducible.
 */
class GgufFuzzTest {
    private static final GgufFormat FORMAT = GgufFormat.INSTANCE;
    private static final int INPUTS_PER_FILE = 1000;
    /** Values that make lengths, counts and offsets wrong in interesting ways. */
    private static final long[] EDGES = {
        0,
        1,
        2,
        3,
        4,
        5,
        31,
        32,
        33,
        64,
        255,
        256,
        1 << 16,
        1L << 31,
        1L << 32,
        1L << 40,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        -1,
        -32
    };

    @ParameterizedTest
    @ValueSource(strings = {"gguf-mixed.gguf", "gguf-align64.gguf", "generated"})
    void damagedFilesAreReadOrRefusedNeverCrash(String name) throws IOException {
        byte[] original = name.equals("generated") ? generated() : GgufFormatTest.resource(name);
        int dataStart = (int) FORMAT.skeletonLength("ok.gguf", MemorySegment.ofArray(original));
        Random random = new Random(name.hashCode());
        int accepted = 0;
        for (int i = 0; i < INPUTS_PER_FILE; i++) {
            byte[] damaged = mutate(original, dataStart, random);
            accepted += readEveryWay("input " + i + " of " + name, damaged);
        }
        // flips in tensor data, padding and metadata values are harmless: some inputs must be accepted
        assertThat(accepted).isPositive().isLessThan(4 * INPUTS_PER_FILE);
    }

    private static byte[] generated() {
        return GgufFiles.v2()
                .alignment(16)
                .kv(
                        "a",
                        Value.array(
                                GgufFiles.ARRAY,
                                Value.array(GgufFiles.STRING, Value.string("x")),
                                Value.array(GgufFiles.U16, Value.u16(1))))
                .kv("b", Value.f64(1))
                .kv("c", Value.bool(false))
                .tensor("k", DType.Q4_K, 256)
                .tensor("z", DType.F32)
                .tensor("e", DType.Q6_K, 0, 3)
                .tensor("h", DType.BF16, 5)
                .bytes();
    }

    private static byte[] mutate(byte[] original, int dataStart, Random random) {
        byte[] b = original.clone();
        // most damage goes to the header, where the parsing is
        int span = random.nextInt(5) == 0 ? b.length : dataStart;
        switch (random.nextInt(5)) {
            case 0 -> {
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    b[random.nextInt(span)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> b[random.nextInt(span)] = (byte) random.nextInt(256);
            case 2 -> {
                int at = random.nextInt(span - 8);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, EDGES[random.nextInt(EDGES.length)]);
            }
            case 3 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            default -> {
                int at = random.nextInt(span);
                byte[] inserted = new byte[1 + random.nextInt(16)];
                random.nextBytes(inserted);
                byte[] longer = new byte[b.length + inserted.length];
                System.arraycopy(b, 0, longer, 0, at);
                System.arraycopy(inserted, 0, longer, at, inserted.length);
                System.arraycopy(b, at, longer, at + inserted.length, b.length - at);
                b = longer;
            }
        }
        return b;
    }

    /** How many of the four ways accepted the input; each acceptance is checked to be exact. */
    private static int readEveryWay(String what, byte[] damaged) throws IOException {
        int accepted = 0;
        try {
            CheckpointLayout layout = FORMAT.read(what, MemorySegment.ofArray(damaged));
            assertThat(rebuild(layout, damaged)).as(what).isEqualTo(damaged);
            assertThat(FORMAT.fromSkeleton(what, layout.skeleton())).as(what).isEqualTo(layout);
            accepted++;
        } catch (BadCheckpointException expected) {
            assertThat(expected.getMessage()).as(what).startsWith(what + ": ").doesNotContain("\n");
        }
        try {
            byte[] prefix = FORMAT.readSkeletonPrefix(what, new ByteArrayInputStream(damaged));
            assertThat(prefix).as(what).isEqualTo(Arrays.copyOf(damaged, prefix.length));
            FORMAT.fromSkeleton(what, prefix);
            accepted++;
        } catch (BadCheckpointException expected) {
            assertThat(expected.getMessage()).as(what).startsWith(what + ": ");
        }
        try {
            FORMAT.skeletonLength(what, MemorySegment.ofArray(damaged));
            accepted++;
        } catch (BadCheckpointException expected) {
            assertThat(expected.getMessage()).as(what).startsWith(what + ": ");
        }
        try {
            FORMAT.fromSkeleton(what, damaged);
            accepted++;
        } catch (BadCheckpointException expected) {
            assertThat(expected.getMessage()).as(what).startsWith(what + ": ");
        }
        return accepted;
    }
}
