package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FormatsTest {
    private static Optional<CheckpointFormat> detect(byte[] head) {
        return Formats.detect(MemorySegment.ofArray(head));
    }

    @Test
    void detectsByContentNotName() {
        byte[] safetensors =
                TestCheckpoints.safetensors().tensor("a", DType.F32, 2).bytes();
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

    @Nested
    class Split {
        private Formats.Split split(byte[] file) throws BadCheckpointException {
            return Formats.split("f", MemorySegment.ofArray(file));
        }

        @Test
        void aZipThatIsNoTorchCheckpointIsStoredWhole() throws BadCheckpointException {
            byte[] zip = TorchCheckpoints.storedZip(Map.of("notes/readme.txt", "hello".getBytes()));
            Formats.Split s = split(zip);
            assertThat(s.storedWhole()).isPresent();
            assertThat(s.layout().format()).isEqualTo("opaque");
            assertThat(s.layout().tensors())
                    .singleElement()
                    .satisfies(t -> assertThat(t.length()).isEqualTo(zip.length));
        }

        @Test
        void aHostilePickleIsStoredWholeNamingItsGlobal() throws BadCheckpointException {
            assertThat(split(TorchCheckpoints.resource(TorchCheckpoints.MALICIOUS))
                            .storedWhole())
                    .hasValue("not a state dict: global 'posix system'");
        }

        @Test
        void aTorchZipWhosePickleEndsEarlyIsRefused() {
            Map<String, byte[]> entries =
                    new LinkedHashMap<>(TorchCheckpoints.entries(TorchCheckpoints.resource(TorchCheckpoints.MIXED)));
            String pickle = entries.keySet().iterator().next();
            byte[] data = entries.get(pickle);
            entries.put(pickle, Arrays.copyOf(data, data.length / 2));
            assertThatThrownBy(() -> split(TorchCheckpoints.storedZip(entries)))
                    .isInstanceOf(BadCheckpointException.class)
                    .isNotInstanceOf(NotAStateDictException.class)
                    .hasMessageStartingWith("f: ");
        }

        @Test
        void aTorchZipWithABadCentralDirectoryIsRefused() {
            byte[] file = TorchCheckpoints.resource(TorchCheckpoints.MIXED);
            int central = indexOf(file, new byte[] {'P', 'K', 1, 2});
            file[central + 3] = 9; // the first directory record's signature
            assertThatThrownBy(() -> split(file))
                    .isInstanceOf(BadCheckpointException.class)
                    .isNotInstanceOf(NotAStateDictException.class);
        }

        private static int indexOf(byte[] in, byte[] what) {
            for (int i = 0; i + what.length <= in.length; i++) {
                if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) return i;
            }
            throw new AssertionError("not found");
        }

        @Test
        void safetensorsWithBadOffsetsIsRefused() {
            byte[] file =
                    TestCheckpoints.safetensors().tensor("a", DType.F32, 2).bytes();
            byte[] bigger = Arrays.copyOf(file, file.length + 4); // data beyond what the header describes
            assertThatThrownBy(() -> split(bigger)).isInstanceOf(BadCheckpointException.class);
        }
    }
}
