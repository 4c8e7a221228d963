package org.gittheta.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private static final long MIB = 1 << 20;

    @Test
    void memoryGivenBackIsLentAgainZeroedWhenAskedAndWithinTheBudget() {
        try (MemoryPool pool = new MemoryPool(4 * MIB)) {
            MemoryPool.Lease first = pool.take(2 * MIB, true);
            MemorySegment a = first.segment();
            assertThat(a.byteSize()).isEqualTo(2 * MIB);
            assertThat(a.address() % 64).isZero();
            a.fill((byte) 7);
            first.close();

            // the same block again, for a smaller request, zeroed
            MemoryPool.Lease again = pool.take(MIB, true);
            assertThat(again.segment().address()).isEqualTo(a.address());
            assertThat(again.segment().byteSize()).isEqualTo(MIB);
            assertThat(again.segment()
                            .elements(ValueLayout.JAVA_BYTE)
                            .allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == 0))
                    .isTrue();
            again.segment().fill((byte) 9);
            again.close();

            // not zeroed when not asked: whatever the last parameter left
            MemoryPool.Lease raw = pool.take(MIB, false);
            assertThat(raw.segment().address()).isEqualTo(a.address());
            assertThat(raw.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 9);

            // a block that does not fit is new; the kept one is freed when both would exceed the budget
            MemoryPool.Lease big = pool.take(3 * MIB, true);
            assertThat(big.segment().address()).isNotEqualTo(a.address());
            raw.close(); // 3 MiB lent + 2 MiB kept > 4 MiB: freed, not kept
            big.close();
            MemoryPool.Lease after = pool.take(2 * MIB, false);
            assertThat(after.segment().address()).isEqualTo(big.segment().address());
            after.close();
        }
    }
}
