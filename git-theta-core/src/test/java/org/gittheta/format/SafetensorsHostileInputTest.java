package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.gittheta.testdata.TestCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Files that are not safetensors, or whose header text would attack the terminal a message is printed on. */
class SafetensorsHostileInputTest {
    private static final String FILE = "model.safetensors";

    static byte[] resource(String name) throws IOException {
        try (InputStream in = SafetensorsHostileInputTest.class.getResourceAsStream("/testdata/" + name)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "pytorch_model.bin, 'model.safetensors: this is a PyTorch zip checkpoint (or another zip file), "
                + "not safetensors'",
        "gguf-mixed.gguf, 'model.safetensors: this is a GGUF file, not safetensors'",
        "torch-legacy.pt, 'model.safetensors: this is a pickled (legacy torch.save) checkpoint, not safetensors'",
    })
    void otherCheckpointFormatsAreNamed(String resource, String message) throws IOException {
        byte[] file = resource(resource);
        assertThatThrownBy(() -> SafetensorsFormat.INSTANCE.read(FILE, MemorySegment.ofArray(file)))
                .hasMessage(message);
        MemorySegment prefix = MemorySegment.ofArray(Arrays.copyOf(file, SafetensorsFormat.INSTANCE.minPrefix()));
        assertThatThrownBy(() -> SafetensorsFormat.INSTANCE.skeletonLength(FILE, prefix))
                .hasMessage(message);
    }

    @Test
    void aHugeLengthWithoutAKnownMagicStillSaysSo() {
        byte[] file = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, '{', '}'};
        assertThatThrownBy(() -> TestCheckpoints.readSafetensors(FILE, file)).hasMessageContaining("exceeds the limit");
    }

    private static void assertEscaped(String header, String... fragments) {
        byte[] file = TestCheckpoints.safetensorsWithHeader(header, new byte[0]);
        assertThatThrownBy(() -> TestCheckpoints.readSafetensors(FILE, file))
                .isInstanceOf(BadCheckpointException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .contains(fragments)
                        .doesNotContain("\u001b")
                        .doesNotContain("\u0007")
                        .doesNotContain("\r")
                        .doesNotContain("\n"));
    }

    @Test
    void tensorNamesWithEscAndBelAreShownEscaped() {
        assertEscaped(
                "{\"evil\\u001b]0;owned\\u0007\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,3]}}",
                "tensor 'evil\\x1b]0;owned\\x07'");
    }

    @Test
    void dtypeStringsWithEscAreShownEscaped() {
        assertEscaped(
                "{\"w\":{\"dtype\":\"\\u001b[2J\\u0007F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                "unknown dtype '\\x1b[2J\\x07F32'");
    }

    @Test
    void metadataKeysWithControlCharactersAreShownEscaped() {
        assertEscaped(
                "{\"__metadata__\":{\"k\\r\\u001b\":\"v\",\"k\\r\\u001b\":\"v\"}}", "key 'k\\x0d\\x1b' appears twice");
    }

    @Test
    void rawControlCharactersInTheJsonAreShownEscaped() {
        assertEscaped("{\"w\":\u001b\u0007}", "header is not valid JSON", "code 27");
    }

    @Test
    void unknownKeysAndDuplicateNamesAreShownEscaped() {
        assertEscaped("{\"w\":{\"\\u009b31m\":1}}", "unknown key '\\x9b31m'");
        assertEscaped("{\"\\u202ew\":{}}", "tensor '\\u{202E}w': has no dtype");
    }
}
