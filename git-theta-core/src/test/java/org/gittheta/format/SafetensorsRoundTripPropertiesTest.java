package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testdata.TestCheckpoints.KeyOrder;

/** Any valid safetensors file survives read + CheckpointWriter byte for byte. */
class SafetensorsRoundTripPropertiesTest {
    record Spec(DType dtype, long[] dims) {}

    @Property(tries = 300)
    void roundTripsByteExactly(
            @ForAll("tensorLists") List<Spec> specs,
            @ForAll KeyOrder order,
            @ForAll boolean pretty,
            @ForAll @IntRange(max = 20) int padding,
            @ForAll boolean withMetadata,
            @ForAll long seed)
            throws IOException {
        TestCheckpoints.SafetensorsBuilder builder =
                TestCheckpoints.safetensors().keyOrder(order).padding(padding).seed(seed);
        if (pretty) builder.pretty();
        if (withMetadata) builder.metadata("format", "pt").metadata("seed", Long.toString(seed));
        for (int i = 0; i < specs.size(); i++) {
            builder.tensor("layer." + i + ".weight", specs.get(i).dtype, specs.get(i).dims);
        }
        byte[] file = builder.bytes();

        CheckpointLayout layout = TestCheckpoints.readSafetensors("p.safetensors", file);

        assertThat(TestCheckpoints.rebuild(layout, file)).isEqualTo(file);
        assertThat(SafetensorsFormat.INSTANCE.fromSkeleton("p.safetensors", layout.skeleton()))
                .isEqualTo(layout);
        assertThat(layout.tensors()).hasSize(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            TensorSlot slot = layout.tensor("layer." + i + ".weight").orElseThrow();
            assertThat(slot.dtype()).isEqualTo(specs.get(i).dtype);
            assertThat(slot.shape()).isEqualTo(Shape.of(specs.get(i).dims));
        }
    }

    @Provide
    Arbitrary<List<Spec>> tensorLists() {
        return spec().list().ofMaxSize(12);
    }

    private static Arbitrary<Spec> spec() {
        Arbitrary<long[]> dims =
                Arbitraries.longs().between(0, 6).array(long[].class).ofMaxSize(4);
        // Packed dtypes need element counts that fill whole bytes: scale the last dimension (or a scalar) by 4.
        Arbitrary<DType> safetensorsTypes = Arbitraries.of(DType.class).filter(t -> t.kind() != DType.Kind.QUANTIZED);
        return Combinators.combine(safetensorsTypes, dims).as((dtype, d) -> {
            if (dtype.bits() % 8 != 0) {
                d = d.length == 0 ? new long[] {4} : d.clone(); // jqwik may reuse the generated array
                d[d.length - 1] *= 4;
            }
            return new Spec(dtype, d);
        });
    }
}
