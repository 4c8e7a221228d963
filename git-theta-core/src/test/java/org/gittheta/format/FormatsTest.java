package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

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
}
