package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.gittheta.testdata.TestCheckpoints;

/**
 * Mutated torch checkpoints and skeletons: the reader either accepts the bytes (and then the layout still
 * rebuilds them exactly) or refuses them with a BadCheckpointException (NotAStateDictException included);
 * nothing else escapes, and nothing hangs.
 */
class TorchZipFuzzPropertiesTest {
    private static final List<String> FILES =
            List.of(TorchCheckpoints.MIXED, TorchCheckpoints.MODEL, TorchCheckpoints.MALICIOUS);

    private static final List<byte[]> PICKLES = FILES.stream()
            .map(name -> TorchCheckpoints.entries(TorchCheckpoints.resource(name)).entrySet().stream()
                    .filter(e -> e.getKey().endsWith("/data.pkl"))
                    .findFirst()
                    .orElseThrow()
                    .getValue())
            .toList();

    record Mutation(double where, byte value) {}

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Combinators.combine(Arbitraries.doubles().between(0, 1), Arbitraries.bytes())
                .as(Mutation::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(6);
    }

    private static byte[] mutate(byte[] bytes, List<Mutation> mutations) {
        byte[] out = bytes.clone();
        for (Mutation m : mutations) out[(int) Math.min(out.length - 1, m.where * out.length)] = m.value;
        return out;
    }

    /** Mutates only bytes outside the tensor data, where the structure is. */
    private static byte[] mutateStructure(byte[] bytes, CheckpointLayout layout, List<Mutation> mutations) {
        byte[] out = bytes.clone();
        for (Mutation m : mutations) {
            long index = (long) Math.min(layout.skeletonLength() - 1, m.where * layout.skeletonLength());
            long offset = index;
            for (TensorSlot slot : layout.tensors()) {
                if (slot.offset() <= offset) offset += slot.length();
            }
            out[(int) offset] = m.value;
        }
        return out;
    }

    @Property(tries = 800)
    void mutatedFilesAreReadExactlyOrRefused(
            @ForAll @IntRange(max = 2) int file,
            @ForAll boolean structureOnly,
            @ForAll("mutations") List<Mutation> mutations)
            throws IOException {
        String name = FILES.get(file);
        byte[] original = TorchCheckpoints.resource(name);
        byte[] bytes = structureOnly && file < 2
                ? mutateStructure(original, TorchCheckpoints.read(name, original), mutations)
                : mutate(original, mutations);
        CheckpointLayout layout;
        try {
            layout = TorchCheckpoints.read(name, bytes);
        } catch (BadCheckpointException refused) {
            assertThat(refused).hasMessageStartingWith(name + ": ");
            return;
        }
        assertThat(TestCheckpoints.rebuild(layout, bytes)).isEqualTo(bytes);
        assertThat(TorchZipFormat.INSTANCE.fromSkeleton(name, layout.skeleton()))
                .isEqualTo(layout);
    }

    @Property(tries = 600)
    void mutatedSkeletonsAreReadOrRefused(
            @ForAll @IntRange(max = 1) int file, @ForAll("mutations") List<Mutation> mutations) throws IOException {
        String name = FILES.get(file);
        byte[] skeleton = mutate(
                TorchCheckpoints.read(name, TorchCheckpoints.resource(name)).skeleton(), mutations);
        try {
            CheckpointLayout layout = TorchZipFormat.INSTANCE.fromSkeleton(name, skeleton);
            assertThat(layout.fileSize())
                    .isEqualTo(skeleton.length
                            + layout.tensors().stream()
                                    .mapToLong(TensorSlot::length)
                                    .sum());
        } catch (BadCheckpointException refused) {
            assertThat(refused).hasMessageStartingWith(name + ": ");
        }
    }

    @Property(tries = 1000)
    void mutatedPicklesLoadOrAreRefused(
            @ForAll @IntRange(max = 1) int file,
            @ForAll("mutations") List<Mutation> mutations,
            @ForAll @IntRange(max = 1000) int cut) {
        String name = FILES.get(file);
        byte[] pickle = PICKLES.get(file);
        byte[] mutated = mutate(Arrays.copyOf(pickle, Math.min(pickle.length, pickle.length - cut / 4)), mutations);
        try {
            SafeUnpickler.load(name, MemorySegment.ofArray(mutated));
        } catch (BadCheckpointException refused) {
            assertThat(refused).hasMessageStartingWith(name + ": ");
        }
    }
}
