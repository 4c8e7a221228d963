package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.testdata.TorchZipWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Fisher file's format is found by its content, whatever it is called. */
class FisherSourceTest {
    private static final List<SafetensorsWriter.Tensor> FISHER = List.of(new SafetensorsWriter.Tensor(
            "w", DType.F32, Shape.of(3), out -> out.write(TensorView.f32Bytes(new float[] {0.5f, 2f, 4f}))));

    @TempDir
    Path tmp;

    @Test
    void safetensorsNamedBinAndATorchZipNamedPtAreRead() throws IOException {
        Path safetensors = tmp.resolve("fisher.bin");
        try (OutputStream out = Files.newOutputStream(safetensors)) {
            SafetensorsWriter.write(FISHER, Map.of(), out);
        }
        Path torch = tmp.resolve("fisher.pt");
        Files.write(torch, TorchZipWriter.bytes("fisher", FISHER));
        for (Path file : List.of(safetensors, torch)) {
            try (FisherSource source = FisherSource.ofFile(file);
                    Arena arena = Arena.ofConfined()) {
                TensorView v = source.values("w", Shape.of(3), arena).orElseThrow();
                assertThat(new double[] {v.get(0), v.get(1), v.get(2)})
                        .as(file.toString())
                        .containsExactly(0.5, 2, 4);
                assertThat(source.values("absent", Shape.of(3), arena)).isEmpty();
            }
        }
    }

    @Test
    void aFileNoFormatClaimsIsRefusedNamingIt() throws IOException {
        Path file = Files.write(tmp.resolve("fisher.safetensors"), "not a checkpoint".getBytes());
        assertThatThrownBy(() -> FisherSource.ofFile(file))
                .isInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("fisher.safetensors")
                .hasMessageContaining("not a safetensors, PyTorch zip or GGUF checkpoint");
    }
}
