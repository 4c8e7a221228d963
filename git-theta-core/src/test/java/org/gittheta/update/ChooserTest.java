package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.junit.jupiter.api.Test;

/**
 * auto picks the expected kind on constructed fine-tunes; chains stay within theta.maxChainDepth and within the
 * parameter's raw bytes.
 */
class ChooserTest {
    private static final String NAME = "model.layers.0.self_attn.v_proj.weight";
    // 3 MiB of bf16: several chunks, so estimates sample and decoders cross chunk boundaries
    private static final Shape SHAPE = Shape.of(1024, 1536);

    private final SplittableRandom rnd = new SplittableRandom(7);
    private final byte[] base = weights();

    private byte[] weights() {
        byte[] b = new byte[(int) DType.BF16.byteSize(SHAPE.numel())];
        MemorySegment s = MemorySegment.ofArray(b);
        TensorView v = new TensorView(s, DType.BF16);
        for (long i = 0; i < SHAPE.numel(); i++) v.setFloat(i, (float) (0.02 * rnd.nextGaussian()));
        return b;
    }

    private interface Edit {
        float apply(long row, long col, float w);
    }

    private byte[] edited(Edit edit) {
        return edited(base, edit);
    }

    private static byte[] edited(byte[] before, Edit edit) {
        byte[] b = before.clone();
        MemorySegment in = MemorySegment.ofArray(before), out = MemorySegment.ofArray(b);
        long cols = SHAPE.dims()[1];
        TensorView from = new TensorView(in, DType.BF16), to = new TensorView(out, DType.BF16);
        for (long e = 0; e < SHAPE.numel(); e++) to.setFloat(e, edit.apply(e / cols, e % cols, from.getFloat(e)));
        return b;
    }

    private ParamEntry storeAuto(UpdateFixture f, UpdateOptions options, byte[] after) throws Exception {
        ParamEntry first = f.encode(options, NAME, DType.BF16, SHAPE, base, Optional.empty());
        ParamEntry second = f.encode(options, NAME, DType.BF16, SHAPE, after, Optional.of(first));
        assertThat(f.decode(second)).isEqualTo(after);
        assertThat(second.objects()).hasSize(second.update().equals("dense") ? 1 : 2);
        return second;
    }

    @Test
    void fewChangedElementsAreSparse() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry e =
                    storeAuto(f, UpdateOptions.auto(), edited((r, c, w) -> (r * 7 + c) % 100 == 0 ? w + 0.01f : w));
            assertThat(e.update()).isEqualTo("sparse");
            assertThat(e.storedBytes()).isLessThan(base.length / 20);
        }
    }

    @Test
    void smallPerturbationOfEveryElementIsXorDelta() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry e = storeAuto(
                    f, UpdateOptions.auto(), edited((r, c, w) -> w * (float) (1 + 1e-2 * rnd.nextGaussian())));
            assertThat(e.update()).isEqualTo("xor-delta");
        }
    }

    /** A merge hands the encoder ours's values as it decoded them: the stored version is the one decoding gives. */
    @Test
    void previousValuesGivenByTheCallerStoreTheSameDelta() throws Exception {
        byte[] after = edited((r, c, w) -> w * (float) (1 + 1e-2 * rnd.nextGaussian()));
        try (UpdateFixture decoding = new UpdateFixture();
                UpdateFixture given = new UpdateFixture()) {
            ParamEntry decoded = storeAuto(decoding, UpdateOptions.auto(), after);
            ParamEntry first = given.encode(UpdateOptions.auto(), NAME, DType.BF16, SHAPE, base, Optional.empty());
            ParamEntry second = new ParamEncoder(given.store, Codec.ZSTD, UpdateOptions.auto())
                    .encode(
                            NAME,
                            DType.BF16,
                            SHAPE,
                            MemorySegment.ofArray(after),
                            Optional.of(first),
                            Optional.of(MemorySegment.ofArray(base)));
            assertThat(second).isEqualTo(decoded);
            assertThat(second.update()).isEqualTo("xor-delta");
            assertThat(given.decode(second)).isEqualTo(after);
        }
    }

    @Test
    void unrelatedValuesAreDense() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry e = storeAuto(f, UpdateOptions.auto(), edited((r, c, w) -> (float) rnd.nextGaussian()));
            assertThat(e.update()).isEqualTo("dense");
        }
    }

    @Test
    void perColumnScalingIsIa3() throws Exception {
        float[] v = UpdateRoundTripPropertiesTest.gaussian((int) SHAPE.dims()[1], rnd);
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry e = storeAuto(f, UpdateOptions.auto(), edited((r, c, w) -> w * (1 + v[(int) c])));
            assertThat(e.update()).isEqualTo("ia3");
            assertThat(e.storedBytes()).isLessThan(base.length / 20);
        }
    }

    private static final int LORA_RANK = 8;
    private final int rows = (int) SHAPE.dims()[0], cols = (int) SHAPE.dims()[1];
    private final SplittableRandom loraRnd = new SplittableRandom(8);
    private final float[] loraA = UpdateRoundTripPropertiesTest.gaussian(LORA_RANK * cols, loraRnd),
            loraB = UpdateRoundTripPropertiesTest.gaussian(rows * LORA_RANK, loraRnd);

    /** The base with B·A merged in as PEFT does (alpha 16). */
    private byte[] loraMerged() {
        float scale = 16f / LORA_RANK;
        return edited((row, col, w) -> {
            float d = 0;
            for (int k = 0; k < LORA_RANK; k++) d += loraB[(int) row * LORA_RANK + k] * loraA[k * cols + (int) col];
            return w + scale * d;
        });
    }

    @Test
    void mergedLoraWithTheAdapterIsLowRank() throws Exception {
        try (UpdateFixture f = new UpdateFixture()) {
            LoraAdapter adapter = LoraAdapter.load(f.adapter(
                    NAME.replace(".weight", ""),
                    Shape.of(LORA_RANK, cols),
                    Shape.of(rows, LORA_RANK),
                    loraA,
                    loraB,
                    16,
                    false,
                    false));
            ParamEntry e = storeAuto(f, new UpdateOptions(Optional.empty(), Optional.of(adapter), 8), loraMerged());
            assertThat(e.update()).isEqualTo("low-rank");
            assertThat(e.storedBytes()).isLessThan(2 * 4L * LORA_RANK * (rows + cols));
        }
    }

    /** PEFT's LoRA of a Conv2d: A is r × in × kh × kw, B out × r × 1 × 1, and B·A is the kernel's change. */
    @Test
    void mergedLoraOfAConvolutionWithTheAdapterIsLowRank() throws Exception {
        Shape conv = Shape.of(rows, cols / 16, 4, 4);
        byte[] merged = loraMerged();
        try (UpdateFixture f = new UpdateFixture()) {
            LoraAdapter adapter = LoraAdapter.load(f.adapter(
                    NAME.replace(".weight", ""),
                    Shape.of(LORA_RANK, cols / 16, 4, 4),
                    Shape.of(rows, LORA_RANK, 1, 1),
                    loraA,
                    loraB,
                    16,
                    false,
                    false));
            UpdateOptions options = new UpdateOptions(Optional.empty(), Optional.of(adapter), 8);
            ParamEntry first = f.encode(options, NAME, DType.BF16, conv, base, Optional.empty());
            ParamEntry second = f.encode(options, NAME, DType.BF16, conv, merged, Optional.of(first));
            assertThat(f.decode(second)).isEqualTo(merged);
            assertThat(second.update()).isEqualTo("low-rank");
            assertThat(second.storedBytes()).isLessThan(2 * 4L * LORA_RANK * (rows + cols));
        }
    }

    @Test
    void aChainThatWouldOutgrowTheRawBytesGetsAKeyframe() throws Exception {
        UpdateOptions deep = new UpdateOptions(Optional.empty(), Optional.empty(), 64);
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] values = base;
            ParamEntry prev = f.encode(deep, NAME, DType.BF16, SHAPE, values, Optional.empty());
            List<String> kinds = new ArrayList<>();
            for (int step = 0; step < 6; step++) {
                values = edited(values, (r, c, w) -> w * (float) (1 + 1e-2 * rnd.nextGaussian()));
                prev = f.encode(deep, NAME, DType.BF16, SHAPE, values, Optional.of(prev));
                kinds.add(prev.update());
                // what a clone of this version fetches for the parameter: never more than git-lfs (the raw bytes)
                assertThat(prev.objects().stream().mapToLong(ObjectRef::size).sum())
                        .isLessThanOrEqualTo(base.length);
                assertThat(f.decode(prev)).isEqualTo(values);
            }
            // deltas while the chain fits, then a fresh keyframe, then deltas on it
            assertThat(kinds).contains("xor-delta", "dense");
            assertThat(kinds.subList(kinds.indexOf("dense"), kinds.size())).contains("xor-delta");
        }
    }

    @Test
    void chainsStopAtTheConfiguredDepth() throws Exception {
        UpdateOptions depth2 = new UpdateOptions(Optional.of(UpdateKind.XOR_DELTA), Optional.empty(), 2);
        try (UpdateFixture f = new UpdateFixture()) {
            ParamEntry prev = f.encode(depth2, NAME, DType.BF16, SHAPE, base, Optional.empty());
            assertThat(prev.update()).isEqualTo("dense");
            String[] expected = {"xor-delta", "xor-delta", "dense", "xor-delta"};
            int[] chain = {2, 3, 1, 2};
            for (int step = 0; step < expected.length; step++) {
                float s = 1 + 1e-2f * (step + 1);
                byte[] next = edited((r, c, w) -> w * s);
                prev = f.encode(depth2, NAME, DType.BF16, SHAPE, next, Optional.of(prev));
                assertThat(prev.update()).isEqualTo(expected[step]);
                assertThat(prev.objects()).hasSize(chain[step]);
                assertThat(f.decode(prev)).isEqualTo(next);
            }
        }
    }
}
