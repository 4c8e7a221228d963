package org.gittheta.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Native memory for parameters' values, reused from one parameter to the next (a merge's values, a clean's streamed
 * tensors). The first store into each page of fresh native memory costs a page fault, and the kernel zeroes the page
 * before Java zeroes it again: 12 % of a Fisher merge driver's samples in a profile. Memory given back is kept for the
 * next parameter while what is lent and what is kept together stay within the budget; beyond it, blocks are freed. A
 * kept block is lent again only for at least half its size, so that small requests do not hold large blocks.
 */
public final class MemoryPool implements AutoCloseable {
    /** A block of native memory with the arena that frees it. */
    private record Block(Arena arena, MemorySegment segment) {
        long size() {
            return segment.byteSize();
        }
    }

    private final long budget;
    private final List<Block> idle = new ArrayList<>();
    private long lent;
    private long kept;
    private boolean closed;

    public MemoryPool(long budget) {
        this.budget = budget;
    }

    /** Memory lent for one parameter's values, given back when closed. */
    public final class Lease implements AutoCloseable {
        private final Block block;
        private final MemorySegment segment;
        private boolean returned;

        private Lease(Block block, long bytes) {
            this.block = block;
            this.segment = block.segment().asSlice(0, bytes);
        }

        public MemorySegment segment() {
            return segment;
        }

        @Override
        public void close() {
            if (returned) return;
            returned = true;
            giveBack(block);
        }
    }

    /**
     * {@code bytes} bytes of native memory, aligned for any element; zero-filled when {@code zeroed} (a result some
     * strategy may leave elements of), else holding whatever the last parameter left (values decoded over it).
     */
    @SuppressWarnings("MustBeClosedChecker") // the arena belongs to the block, which the pool frees
    public synchronized Lease take(long bytes, boolean zeroed) {
        Block block = idle.stream()
                .filter(b -> b.size() >= bytes && b.size() / 2 <= bytes)
                .min(Comparator.comparingLong(Block::size))
                .orElse(null);
        if (block != null) {
            idle.remove(block);
            kept -= block.size();
            if (zeroed) block.segment().asSlice(0, bytes).fill((byte) 0);
        } else {
            while (!idle.isEmpty() && lent + kept + bytes > budget) free(idle.removeLast());
            Arena arena = Arena.ofShared(); // shared: the encoder compresses on other threads
            block = new Block(arena, arena.allocate(Math.max(1, bytes), 64));
        }
        lent += block.size();
        return new Lease(block, bytes);
    }

    private synchronized void giveBack(Block block) {
        lent -= block.size();
        if (!closed && lent + kept + block.size() <= budget) {
            idle.add(block);
            kept += block.size();
        } else {
            block.arena().close();
        }
    }

    private void free(Block block) {
        kept -= block.size();
        block.arena().close();
    }

    @Override
    public synchronized void close() {
        closed = true; // a lease given back after a failed merge is freed, not kept
        while (!idle.isEmpty()) free(idle.removeLast());
    }
}
