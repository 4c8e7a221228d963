package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.testdata.TorchZipWriter;
import org.junit.jupiter.api.Test;

/** The test and benchmark writer produces what our reader, the JDK and the zip format agree is a torch.save file. */
class TorchZipWriterTest {
    @Test
    void writtenStateDictsReadBackWithTheirNamesTypesShapesAndValues() throws IOException {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] values = new byte[(i + 1) * 12];
            for (int k = 0; k < values.length; k++) values[k] = (byte) (i * 31 + k);
            DType dtype = List.of(DType.BF16, DType.F32, DType.I16).get(i % 3);
            Shape shape = dtype == DType.F32 ? Shape.of(i + 1, 3) : Shape.of(i + 1, 6);
            tensors.add(new SafetensorsWriter.Tensor("layers." + i + ".weight", dtype, shape, o -> o.write(values)));
        }
        byte[] file = TorchZipWriter.bytes("pytorch_model", tensors);
        TorchZipFormatTest.assertValidZip(file);
        assertThat(TorchCheckpoints.entries(file).keySet())
                .startsWith(
                        "pytorch_model/data.pkl",
                        "pytorch_model/.format_version",
                        "pytorch_model/.storage_alignment",
                        "pytorch_model/byteorder",
                        "pytorch_model/data/0",
                        "pytorch_model/data/1",
                        "pytorch_model/data/10")
                .endsWith("pytorch_model/version", "pytorch_model/.data/serialization_id");
        CheckpointLayout layout = TorchZipFormat.INSTANCE.read("pytorch_model.bin", MemorySegment.ofArray(file));
        assertThat(layout.tensors()).hasSize(tensors.size());
        for (SafetensorsWriter.Tensor t : tensors) {
            TensorSlot slot = layout.tensor(t.name()).orElseThrow();
            assertThat(slot.offset() % 64).isZero();
            assertThat(slot.dtype()).isEqualTo(t.dtype());
            assertThat(slot.shape()).isEqualTo(t.shape());
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            t.values().writeTo(want);
            assertThat(Arrays.copyOfRange(file, (int) slot.offset(), (int) slot.end()))
                    .isEqualTo(want.toByteArray());
        }
        assertThat(TestCheckpoints.rebuild(layout, file)).isEqualTo(file);
    }
}
