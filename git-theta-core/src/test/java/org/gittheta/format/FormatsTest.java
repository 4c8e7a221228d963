package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.gittheta.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormatsTest {
    @ParameterizedTest
    @ValueSource(strings = {"model.safetensors", "a/b/Model.SafeTensors", "x.SAFETENSORS"})
    void safetensorsByExtension(String path) {
        assertThat(Formats.forPath(path)).containsSame(SafetensorsFormat.INSTANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.bin", "safetensors", "model.safetensors.index.json", "model.gguf.part", ""})
    void othersUnknownForNow(String path) {
        assertThat(Formats.forPath(path)).isEmpty();
    }

    private static Optional<CheckpointFormat> detect(byte[] head) {
        return Formats.detect(MemorySegment.ofArray(head));
    }

    @Test
    void detectsByContentNotName() {
        byte[] safetensors = TestCheckpoints.safetensors().tensor("a", DType.F32, 2).bytes();
        assertThat(detect(safetensors)).containsSame(SafetensorsFormat.INSTANCE);
        assertThat(detect(TorchCheckpoints.resource(TorchCheckpoints.MODEL))).containsSame(TorchZipFormat.INSTANCE);
        assertThat(detect(new byte[] {'P', 'K', 3, 4})).isEmpty();
        assertThat(detect("hello world".getBytes())).isEmpty();
        assertThat(detect(new byte[0])).isEmpty();
        // A legacy (pre-1.6) pickle is not split: stored whole.
        assertThat(detect(TorchCheckpoints.resource(TorchCheckpoints.LEGACY))).isEmpty();
        assertThat(Formats.byName("torch-zip")).containsSame(TorchZipFormat.INSTANCE);
        assertThat(TorchZipFormat.INSTANCE.streamsFromPrefix()).isFalse();
        assertThat(SafetensorsFormat.INSTANCE.streamsFromPrefix()).isTrue();
    }
}
