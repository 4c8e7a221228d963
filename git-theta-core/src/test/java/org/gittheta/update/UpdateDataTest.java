package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TorchZipFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Update data in git-theta (Python)'s layout, read from PyTorch files (resources written by update-data/generate.py,
 * the pickle and zip torch.save writes) and from safetensors files written here; expected values are recomputed in
 * double from the generator's formulas and rounded to float32.
 */
class UpdateDataTest {
    private static final Shape FC = Shape.of(4, 3), CONV = Shape.of(2, 2, 3);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    /** The parameter before the update: old[i] = i / 8 - 0.5. */
    private static float[] old(Shape shape) {
        float[] v = new float[(int) shape.numel()];
        for (int i = 0; i < v.length; i++) v[i] = i / 8f - 0.5f;
        return v;
    }

    private static double[] lowRankR() {
        double[] r = new double[8];
        for (int i = 0; i < 4; i++) for (int k = 0; k < 2; k++) r[i * 2 + k] = (i + 1) / 4.0 + k / 2.0;
        return r;
    }

    /** C[k][j] = j - k / 4 (the file stores it transposed). */
    private static double lowRankC(int k, int j) {
        return j - k / 4.0;
    }

    private static float[] expectedFcLowRank() {
        float[] old = old(FC), out = new float[old.length];
        double[] r = lowRankR();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                double dot = 0;
                for (int k = 0; k < 2; k++) dot += r[i * 2 + k] * lowRankC(k, j);
                out[i * 3 + j] = (float) (old[i * 3 + j] + dot);
            }
        }
        return out;
    }

    private static float[] expectedConvLowRank() {
        float[] old = old(CONV), out = new float[old.length];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    double dot = 0;
                    for (int k = 0; k < 2; k++) dot += (0.5 * ((b * 2 + i) * 2 + k) - 1) * (0.125 * (k * 3 + j));
                    int e = (b * 2 + i) * 3 + j;
                    out[e] = (float) (old[e] + dot);
                }
            }
        }
        return out;
    }

    private static float[] expectedSparse() {
        float[] out = old(FC);
        out[0] = (float) (out[0] + 1.5);
        out[5] = (float) (out[5] + 2.25);
        out[11] = (float) (out[11] - 3.0);
        return out;
    }

    private static float[] expectedIa3() {
        float[] out = old(FC);
        double[] v = {0.5, -2.0, 1.25, 3.0};
        for (int e = 0; e < out.length; e++) out[e] = (float) (out[e] * v[e / 3]);
        return out;
    }

    private static float[] apply(UpdateData data, String name, Shape shape) throws IOException {
        GivenUpdate u = data.update(name, DType.F32, shape).orElseThrow();
        byte[] out = new byte[(int) shape.numel() * 4];
        u.apply(
                MemorySegment.ofArray(TensorView.f32Bytes(old(shape))),
                MemorySegment.ofArray(out),
                DType.F32,
                0,
                shape.numel());
        return new TensorView(MemorySegment.ofArray(out), DType.F32).toFloatArray();
    }

    private Path resource(String name) throws IOException {
        try (InputStream in = UpdateDataTest.class.getResourceAsStream("/update-data/" + name)) {
            Path p = tmp.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    @Nested
    class FromPyTorchFiles {
        @Test
        void lowRankAddsTheProductIncludingTransposedAndBatchedFactors() throws IOException {
            UpdateData data = UpdateData.load(resource("low-rank.pt"), UpdateKind.LOW_RANK);
            assertThat(data.params()).containsExactly("conv.weight", "fc.weight");
            assertThat(apply(data, "fc.weight", FC)).containsExactly(expectedFcLowRank());
            assertThat(apply(data, "conv.weight", CONV)).containsExactly(expectedConvLowRank());
            GivenUpdate fc = data.update("fc.weight", DType.F32, FC).orElseThrow();
            assertThat(fc.rank()).hasValue(2);
            Reconstruction.LowRank f = fc.factors().orElseThrow();
            assertThat(f.rightT()).as("C transposed").containsExactly(0f, -0.25f, 1f, 0.75f, 2f, 1.75f);
            assertThat(data.update("conv.weight", DType.F32, CONV).orElseThrow().factors())
                    .as("not a 2-D parameter")
                    .isEmpty();
        }

        @Test
        void sparseAddsTheCsrMatrixSummingDuplicates() throws IOException {
            assertThat(apply(UpdateData.load(resource("sparse.pt"), UpdateKind.SPARSE), "fc.weight", FC))
                    .containsExactly(expectedSparse());
        }

        @Test
        void ia3MultipliesBroadcastingALastDimensionOfOne() throws IOException {
            assertThat(apply(UpdateData.load(resource("ia3.pt"), UpdateKind.IA3), "fc.weight", FC))
                    .containsExactly(expectedIa3());
        }

        @Test
        void denseReplacesTheValuesRoundedToTheParametersDtype() throws IOException {
            float[] got = apply(UpdateData.load(resource("dense.pt"), UpdateKind.DENSE), "bias", Shape.of(3));
            assertThat(got).containsExactly(0.1f, -0.2f, 0.3f);
        }

        @Test
        void keysOfAnotherLayoutAreRefusedByName() throws IOException {
            Path file = resource("sparse.pt");
            assertThatThrownBy(() -> UpdateData.load(file, UpdateKind.LOW_RANK))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining("fc.weight/data")
                    .hasMessageContaining("is not a low-rank update key");
        }
    }

    @Nested
    class FromSafetensorsFiles {
        @Test
        void everyLayoutGivesTheSameValuesAsFromPyTorch() throws IOException {
            double[] c = new double[6];
            for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++) c[k * 3 + j] = lowRankC(k, j);
            Path lowRank = safetensors(
                    "low-rank",
                    List.of(f32("fc.weight/R", Shape.of(4, 2), lowRankR()), f32("fc.weight/C", Shape.of(2, 3), c)));
            assertThat(apply(UpdateData.load(lowRank, UpdateKind.LOW_RANK), "fc.weight", FC))
                    .containsExactly(expectedFcLowRank());
            Path sparse = safetensors(
                    "sparse",
                    List.of(
                            f32("fc.weight/data", Shape.of(4), new double[] {1.5, 2, 0.25, -3}),
                            i64("fc.weight/indices", 0, 5, 5, 11),
                            i64("fc.weight/indptr", 0, 4),
                            i64("fc.weight/shape", 4, 3)));
            assertThat(apply(UpdateData.load(sparse, UpdateKind.SPARSE), "fc.weight", FC))
                    .containsExactly(expectedSparse());
            Path ia3 =
                    safetensors("ia3", List.of(f32("fc.weight/ia3", Shape.of(4, 1), new double[] {0.5, -2, 1.25, 3})));
            assertThat(apply(UpdateData.load(ia3, UpdateKind.IA3), "fc.weight", FC))
                    .containsExactly(expectedIa3());
        }

        @Test
        void aMissingKeyAndAShapeThatDoesNotFitAreNamed() throws IOException {
            Path onlyR = safetensors("r", List.of(f32("w/R", Shape.of(4, 2), new double[8])));
            assertThatThrownBy(() -> UpdateData.load(onlyR, UpdateKind.LOW_RANK))
                    .hasMessageContaining("w/C")
                    .hasMessageContaining("is missing");
            Path ia3 = safetensors("ia3", List.of(f32("w/ia3", Shape.of(3, 1), new double[3])));
            UpdateData data = UpdateData.load(ia3, UpdateKind.IA3);
            assertThatThrownBy(() -> data.update("w", DType.F32, FC))
                    .hasMessageContaining("w/ia3")
                    .hasMessageContaining("shape [3,1] does not broadcast to the parameter's shape [4,3]");
            assertThatThrownBy(() -> data.update("w", DType.I64, FC)).hasMessageContaining("not I64");
            assertThatThrownBy(() -> data.checkPresent(
                            "model.safetensors", new Manifest("safetensors", new byte[0], 0, List.of())))
                    .hasMessage("model.safetensors: update data " + ia3
                            + " names parameter w, which the file does not have");
        }

        /** A torch.save file stores a storage once, as its first tensor: a tied weight names the parameter holding it. */
        @Test
        void aTiedWeightOfATorchFileNamesTheParameterHoldingItsStorage() throws IOException {
            Path ia3 = safetensors("ia3", List.of(f32("lm_head.weight/ia3", Shape.of(64, 1), new double[64])));
            UpdateData data = UpdateData.load(ia3, UpdateKind.IA3);
            byte[] bin;
            try (InputStream in = UpdateDataTest.class.getResourceAsStream("/testdata/pytorch_model.bin")) {
                bin = in.readAllBytes();
            }
            byte[] skeleton = TorchZipFormat.INSTANCE
                    .read("pytorch_model.bin", MemorySegment.ofArray(bin))
                    .skeleton();
            Manifest manifest = new Manifest("torch-zip", skeleton, bin.length, List.of());
            assertThatThrownBy(() -> data.checkPresent("pytorch_model.bin", manifest))
                    .hasMessage(
                            "pytorch_model.bin: update data " + ia3 + " names parameter lm_head.weight, which the"
                                    + " file does not have (lm_head.weight views the storage of parameter embed_tokens.weight)");
        }

        private Path safetensors(String name, List<SafetensorsWriter.Tensor> tensors) throws IOException {
            Path p = tmp.resolve(name + ".safetensors");
            try (OutputStream out = Files.newOutputStream(p)) {
                SafetensorsWriter.write(tensors, Map.of(), out);
            }
            return p;
        }

        private static SafetensorsWriter.Tensor f32(String name, Shape shape, double[] v) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
            return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> out.write(TensorView.f32Bytes(f)));
        }

        private static SafetensorsWriter.Tensor i64(String name, long... v) {
            byte[] b = new byte[v.length * 8];
            MemorySegment.copy(
                    v,
                    0,
                    MemorySegment.ofArray(b),
                    ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    0,
                    v.length);
            return new SafetensorsWriter.Tensor(name, DType.I64, Shape.of(v.length), out -> out.write(b));
        }
    }

    @Nested
    class NumpyBroadcasting {
        @Test
        void followsNumpysRulesWithoutChangingTheParametersShape() {
            assertThat(Broadcast.of(Shape.of(4, 1), FC)).isPresent();
            assertThat(Broadcast.of(Shape.of(3), FC)).isPresent();
            assertThat(Broadcast.of(Shape.of(1, 2, 1), CONV)).isPresent();
            assertThat(Broadcast.of(Shape.of(1, 4, 3), FC))
                    .as("a leading 1 keeps the values")
                    .isPresent();
            assertThat(Broadcast.of(Shape.of(4), FC)).isEmpty();
            assertThat(Broadcast.of(Shape.of(2, 4, 3), FC))
                    .as("would enlarge the parameter")
                    .isEmpty();
            Broadcast b = Broadcast.of(Shape.of(1, 2, 1), CONV).orElseThrow();
            List<Long> read = new ArrayList<>();
            for (long e = 0; e < CONV.numel(); e++) read.add(b.map(e));
            assertThat(read).containsExactly(0L, 0L, 0L, 1L, 1L, 1L, 0L, 0L, 0L, 1L, 1L, 1L);
        }
    }

    @Nested
    class Encoding {
        @Test
        void storesTheUpdatedValuesInTheRequestedForm() throws IOException {
            for (var c : List.of(
                    new Object[] {"low-rank.pt", UpdateKind.LOW_RANK, expectedFcLowRank()},
                    new Object[] {"sparse.pt", UpdateKind.SPARSE, expectedSparse()},
                    new Object[] {"ia3.pt", UpdateKind.IA3, expectedIa3()})) {
                UpdateKind kind = (UpdateKind) c[1];
                UpdateData data = UpdateData.load(resource((String) c[0]), kind);
                try (UpdateFixture f = new UpdateFixture()) {
                    ParamEntry first = f.encode(
                            UpdateOptions.auto(),
                            "fc.weight",
                            DType.F32,
                            FC,
                            TensorView.f32Bytes(old(FC)),
                            Optional.empty());
                    UpdateOptions options = new UpdateOptions(
                            Optional.of(kind), Optional.empty(), 8, OptionalInt.empty(), false, Optional.of(data));
                    ParamEntry next = f.encode(
                            options, "fc.weight", DType.F32, FC, TensorView.f32Bytes(old(FC)), Optional.of(first));
                    assertThat(next.update()).as(kind.label()).isEqualTo(kind.label());
                    byte[] decoded = f.decode(next);
                    float[] got = new float[decoded.length / 4];
                    MemorySegment.copy(MemorySegment.ofArray(decoded), F32, 0, got, 0, got.length);
                    assertThat(got).as(kind.label()).containsExactly((float[]) c[2]);
                }
            }
        }
    }
}
