package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.Section;
import org.gittheta.store.Shuffle;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The XOR layout: one base, no params, one section holding the values XOR the base's values; the shuffle then
 * puts the (mostly zero) sign and exponent bytes together. Also the residual of {@link Rebuilt}.
 */
final class XorDelta {
    /** Bytes of the other operand copied at a time. */
    private static final int XOR_BLOCK = 1 << 16;

    private XorDelta() {}

    record Encoder(MemorySegment values, MemorySegment prev, int width, ObjectId base) implements Encoding {
        @Override
        public UpdateKind kind() {
            return UpdateKind.XOR_DELTA;
        }

        @Override
        public ObjectHeader header(DType dtype, Shape shape) {
            return new ObjectHeader(kind().code(), dtype, shape, List.of(base), new byte[0]);
        }

        @Override
        public List<Section> sections() {
            return List.of(bulk());
        }

        @Override
        public Section bulk() {
            return new Section(values.byteSize(), width, (offset, dst, len) -> {
                MemorySegment.copy(values, ValueLayout.JAVA_BYTE, offset, dst, 0, len);
                xor(dst, prev, offset, len);
            });
        }
    }

    /** Decodes the base beneath a run of XOR deltas once, then the run's deltas together (one unshuffle). */
    record Decoder(ObjectFormat.Reader reader, Layer base) implements Layer {
        @Override
        public void chunk(int c, byte[] out) throws IOException {
            List<ObjectFormat.Reader> stacked = new ArrayList<>();
            Layer below = this;
            while (below instanceof Decoder x) {
                stacked.add(x.reader());
                below = x.base();
            }
            below.chunk(c, out);
            ObjectFormat.Reader.xorChunks(stacked, c, out);
        }
    }

    /**
     * {@code dst[0..len) ^= src[srcOffset..srcOffset+len)}, eight bytes at a time. {@code src} is copied into an
     * array a block at a time: word reads from segments of several kinds (native, mapped, heap) at one call site are
     * left out of line by the JIT, an alignment and bounds check per word (profiled: a tenth of a step's CPU).
     */
    static void xor(byte[] dst, MemorySegment src, long srcOffset, int len) {
        byte[] block = new byte[Math.min(len, XOR_BLOCK)];
        for (int at = 0; at < len; at += block.length) {
            int n = Math.min(block.length, len - at);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + at, block, 0, n);
            Shuffle.xor(block, 0, dst, at, n);
        }
    }
}
