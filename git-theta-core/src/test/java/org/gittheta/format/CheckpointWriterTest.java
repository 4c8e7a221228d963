package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWriterTest {
    private static final CheckpointLayout LAYOUT = new CheckpointLayout(
            "x",
            new byte[] {'s', 'k', 'e', 'l'},
            9,
            List.of(
                    new TensorSlot("a", DType.U8, Shape.of(2), 1, 2),
                    new TensorSlot("e", DType.U8, Shape.of(0), 3, 0),
                    new TensorSlot("b", DType.U8, Shape.of(3), 4, 3)));

    @Nested
    class InterleavesSkeletonAndTensors {
        @Test
        void inFileOrder() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CheckpointWriter.write(
                    LAYOUT,
                    (slot, o) -> {
                        for (long i = 0; i < slot.length(); i++)
                            o.write(slot.name().charAt(0));
                        o.close(); // must not close the file stream
                    },
                    out);
            assertThat(out.toString()).isEqualTo("saakbbbel");
        }

        /** Into a file whose tensors' bytes are there already (a merge's): the skeleton goes around them. */
        @Test
        void skeletonAloneAtItsPlacesInAFile(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("f");
            Files.writeString(file, "-aa-bbb--");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                CheckpointWriter.writeSkeleton(LAYOUT, ch);
            }
            assertThat(Files.readString(file)).isEqualTo("saakbbbel");
        }

        @Test
        void layoutWithoutTensorsIsJustTheSkeleton() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CheckpointWriter.write(new CheckpointLayout("x", new byte[] {7, 8}, 2, List.of()), (slot, o) -> {}, out);
            assertThat(out.toByteArray()).containsExactly(7, 8);
        }
    }

    @Nested
    class RejectsSourcesOfTheWrongSize {
        @Test
        void tooFewBytes() {
            assertThatThrownBy(() -> CheckpointWriter.write(
                            LAYOUT, (slot, o) -> o.write(new byte[1]), new ByteArrayOutputStream()))
                    .isInstanceOf(IOException.class)
                    .hasMessage("tensor 'a': source wrote 1 of its 2 bytes");
        }

        @Test
        void tooManyBytes() {
            assertThatThrownBy(() -> CheckpointWriter.write(
                            LAYOUT, (slot, o) -> o.write(new byte[4]), new ByteArrayOutputStream()))
                    .isInstanceOf(IOException.class)
                    .hasMessage("tensor 'a': source wrote more than its 2 bytes");
        }
    }
}
