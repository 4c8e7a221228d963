package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The low-rank and ia3 layout: one base, the {@link Reconstruction}'s params and sections, then the XOR residual
 * between the values and the guess rounded to the dtype (none for lossy low-rank).
 */
final class Rebuilt {
    /** {@link Decoder#residual()} of a lossy object: the guess is the stored version. */
    static final int NO_RESIDUAL = -1;

    private Rebuilt() {}

    record Encoder(Reconstruction reconstruction, MemorySegment values, MemorySegment prev, DType dtype, ObjectId base)
            implements Encoding {
        @Override
        public UpdateKind kind() {
            return reconstruction.kind();
        }

        @Override
        public ObjectHeader header(DType dtype, Shape shape) {
            return new ObjectHeader(kind().code(), dtype, shape, List.of(base), reconstruction.params());
        }

        @Override
        public List<Section> sections() {
            List<Section> all = new ArrayList<>();
            for (byte[] s : reconstruction.sections()) all.add(Encoding.whole(s, 4));
            if (reconstruction.residual()) all.add(bulk());
            return all;
        }

        @Override
        public Section bulk() {
            int w = dtype.byteWidth();
            return new Section(values.byteSize(), w, (offset, dst, len) -> {
                reconstruction.apply(prev.asSlice(offset, len), MemorySegment.ofArray(dst), dtype, offset / w, len / w);
                XorDelta.xor(dst, values, offset, len);
            });
        }

        @Override
        public long fixedBytes() {
            return reconstruction.sections().stream().mapToLong(s -> s.length).sum();
        }
    }

    /** @param residual the residual's section, or {@link #NO_RESIDUAL} */
    record Decoder(ObjectFormat.Reader reader, Layer base, Reconstruction reconstruction, int residual)
            implements Layer {
        @Override
        public void chunk(int c, byte[] out) throws IOException {
            int len = length(c);
            byte[] b = new byte[len];
            base.chunk(c, b);
            DType t = reader.header().dtype();
            int w = t.byteWidth();
            long first = (long) c * ObjectFormat.CHUNK_SIZE / w;
            reconstruction.apply(
                    MemorySegment.ofArray(b), MemorySegment.ofArray(out).asSlice(0, len), t, first, len / w);
            if (residual != NO_RESIDUAL) reader.xorChunk(residual, c, out);
        }
    }
}
