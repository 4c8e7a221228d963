package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CheckpointLayoutTest {
    private static TensorSlot u8(String name, long offset, long length) {
        return new TensorSlot(name, DType.U8, Shape.of(length), offset, length);
    }

    @Nested
    class AcceptsConsistentParts {
        @Test
        void tensorsWithSkeletonBytesBetweenThem() {
            CheckpointLayout layout =
                    new CheckpointLayout("x", new byte[6], 16, List.of(u8("a", 2, 4), u8("e", 6, 0), u8("b", 8, 6)));
            assertThat(layout.tensor("b")).hasValue(u8("b", 8, 6));
            assertThat(layout.skeletonLength()).isEqualTo(6);
        }

        @Test
        void readsTheSkeletonBytesOfAFileAroundItsTensors() {
            CheckpointLayout layout =
                    new CheckpointLayout("x", new byte[6], 16, List.of(u8("a", 2, 4), u8("e", 6, 0), u8("b", 8, 6)));
            byte[] file = {1, 2, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 5, 6};
            assertThat(layout.skeletonIn(MemorySegment.ofArray(file))).containsExactly(1, 2, 3, 4, 5, 6);
        }

        @Test
        void emptyTensorsAtOneOffsetSortedByNameBeforeTheTensorThere() {
            new CheckpointLayout(
                    "x", new byte[0], 4, List.of(u8("a", 0, 0), u8("b", 0, 0), u8("c", 0, 4), u8("d", 4, 0)));
        }

        @Test
        void isImmutableAndComparesSkeletonBytes() {
            byte[] skeleton = {1, 2, 3};
            List<TensorSlot> tensors = new ArrayList<>(List.of(u8("a", 3, 1)));
            CheckpointLayout layout = new CheckpointLayout("x", skeleton, 4, tensors);
            skeleton[0] = 9;
            tensors.clear();
            layout.skeleton()[1] = 9;
            assertThat(layout.skeleton()).containsExactly(1, 2, 3);
            assertThat(layout.tensors()).hasSize(1);
            CheckpointLayout same = new CheckpointLayout("x", new byte[] {1, 2, 3}, 4, List.of(u8("a", 3, 1)));
            assertThat(layout).isEqualTo(same).hasSameHashCodeAs(same);
            assertThat(layout).isNotEqualTo(new CheckpointLayout("x", new byte[] {1, 2, 4}, 4, List.of(u8("a", 3, 1))));
        }
    }

    @Nested
    class RejectsInconsistentParts {
        @Test
        void tensorsOutOfOrder() {
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 4, List.of(u8("b", 2, 2), u8("a", 0, 2))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tensor 'a'");
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 4, List.of(u8("c", 0, 4), u8("a", 0, 0))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 0, List.of(u8("b", 0, 0), u8("a", 0, 0))))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void overlappingTensors() {
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 5, List.of(u8("a", 0, 3), u8("b", 1, 2))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("overlaps tensor 'a'");
        }

        @Test
        void duplicateNames() {
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 2, List.of(u8("a", 0, 1), u8("a", 1, 1))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'a' appears twice");
        }

        @Test
        void tensorPastTheFileSize() {
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[0], 2, List.of(u8("a", 1, 2))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("past the file size 2");
        }

        @Test
        void sizesThatDoNotAddUp() {
            assertThatThrownBy(() -> new CheckpointLayout("x", new byte[3], 8, List.of(u8("a", 3, 4))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("file size 8 is not skeleton 3 + tensors 4");
        }

        @Test
        void negativeSlotOffsetOrLength() {
            assertThatThrownBy(() -> new TensorSlot("a", DType.U8, Shape.SCALAR, -1, 1))
                    .hasMessageContaining("offset -1");
            assertThatThrownBy(() -> new TensorSlot("a", DType.U8, Shape.SCALAR, 0, -1))
                    .hasMessageContaining("length -1");
        }
    }
}
