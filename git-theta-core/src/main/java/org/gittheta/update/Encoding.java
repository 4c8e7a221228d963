package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/** One way to store a parameter version: the object header and sections each update kind writes. */
sealed interface Encoding permits Encoding.Dense, Encoding.Xor, Encoding.Sparse, Encoding.Rebuilt {
    UpdateKind kind();

    ObjectHeader header(DType dtype, Shape shape);

    List<Section> sections();

    /** The section as large as the values, whose compressed size decides between kinds. */
    Section bulk();

    /** Bytes stored besides the bulk section (factors, scaling vectors). */
    default long fixedBytes() { return 0; }

    private static Section copy(MemorySegment values, int width) {
        return new Section(values.byteSize(), width,
                (offset, dst, len) -> MemorySegment.copy(values, ValueLayout.JAVA_BYTE, offset, dst, 0, len));
    }

    private static Section whole(byte[] bytes, int width) {
        return new Section(bytes.length, width, (offset, dst, len) -> System.arraycopy(bytes, (int) offset, dst, 0, len));
    }

    record Dense(MemorySegment values, int width) implements Encoding {
        @Override public UpdateKind kind() { return UpdateKind.DENSE; }
        @Override public ObjectHeader header(DType dtype, Shape shape) { return new ObjectHeader(kind().code(), dtype, shape, List.of(), new byte[0]); }
        @Override public List<Section> sections() { return List.of(bulk()); }
        @Override public Section bulk() { return copy(values, width); }
    }

    /** values XOR previous values; the shuffle then puts the (mostly zero) sign and exponent bytes together. */
    record Xor(MemorySegment values, MemorySegment prev, int width, ObjectId base) implements Encoding {
        @Override public UpdateKind kind() { return UpdateKind.XOR_DELTA; }
        @Override public ObjectHeader header(DType dtype, Shape shape) { return new ObjectHeader(kind().code(), dtype, shape, List.of(base), new byte[0]); }
        @Override public List<Section> sections() { return List.of(bulk()); }
        @Override public Section bulk() {
            return new Section(values.byteSize(), width, (offset, dst, len) -> {
                MemorySegment.copy(values, ValueLayout.JAVA_BYTE, offset, dst, 0, len);
                Bytes.xor(dst, prev, offset, len);
            });
        }
    }

    /** Positions (see {@link SparseIndex}) and the new values of the elements that differ. */
    record Sparse(SparseIndex.Encoded index, byte[] values, int width, ObjectId base) implements Encoding {
        @Override public UpdateKind kind() { return UpdateKind.SPARSE; }
        @Override public ObjectHeader header(DType dtype, Shape shape) {
            byte[] params = java.nio.ByteBuffer.allocate(9).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .put((byte) index.encoding()).putLong(index.count()).array();
            return new ObjectHeader(kind().code(), dtype, shape, List.of(base), params);
        }
        @Override public List<Section> sections() { return List.of(whole(index.bytes(), 1), bulk()); }
        @Override public Section bulk() { return whole(values, width); }
        @Override public long fixedBytes() { return index.bytes().length; }
    }

    /** A reconstruction's own sections, then the XOR residual against it (none for lossy low-rank). */
    record Rebuilt(Reconstruction reconstruction, MemorySegment values, MemorySegment prev, DType dtype, ObjectId base) implements Encoding {
        @Override public UpdateKind kind() { return reconstruction.kind(); }
        @Override public ObjectHeader header(DType dtype, Shape shape) {
            return new ObjectHeader(kind().code(), dtype, shape, List.of(base), reconstruction.params());
        }
        @Override public List<Section> sections() {
            List<Section> all = new ArrayList<>();
            for (byte[] s : reconstruction.sections()) all.add(whole(s, 4));
            if (reconstruction.residual()) all.add(bulk());
            return all;
        }
        @Override public Section bulk() {
            int w = dtype.byteWidth();
            return new Section(values.byteSize(), w, (offset, dst, len) -> {
                reconstruction.apply(prev.asSlice(offset, len), MemorySegment.ofArray(dst), dtype, offset / w, len / w);
                Bytes.xor(dst, values, offset, len);
            });
        }
        @Override public long fixedBytes() { return reconstruction.sections().stream().mapToLong(s -> s.length).sum(); }
    }
}
