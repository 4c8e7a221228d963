package org.gittheta.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    @Test
    void blocksAreZeroedWritableAndGoneWhenTheirArenaCloses() {
        MemorySegment large;
        try (Arena arena = Arena.ofShared()) {
            for (long bytes : new long[] {0, 1, 4097, 24L << 20}) {
                MemorySegment block = NativeMemory.zeroed(bytes, arena);
                assertThat(block.byteSize()).isEqualTo(bytes);
                assertThat(block.address() % 16).isZero();
                if (bytes > 0) {
                    assertThat(block.mismatch(MemorySegment.ofArray(new byte[(int) bytes])))
                            .isEqualTo(-1);
                    block.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
                    assertThat(block.get(ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 7);
                }
            }
            large = NativeMemory.zeroed(1 << 20, arena);
        }
        assertThatThrownBy(() -> large.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void withNativeAccessBlocksComeFromCalloc() {
        // the tests run as the launcher runs the tool, with native access
        assertThat(NativeMemory.class.getModule().isNativeAccessEnabled()).isTrue();
        assertThat(NativeMemory.usesCalloc()).isTrue();
    }
}
