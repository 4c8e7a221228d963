package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One way to store a parameter version: the object header and sections an update kind writes. Each kind's class
 * holds both its encoder and its decoder ({@link Layer}), so that a layout is written and read in one place.
 */
sealed interface Encoding permits Dense.Encoder, XorDelta.Encoder, SparseDelta.Encoder, Rebuilt.Encoder {
    UpdateKind kind();

    ObjectHeader header(DType dtype, Shape shape);

    List<Section> sections();

    /** The section as large as the values, whose compressed size decides between kinds. */
    Section bulk();

    /** Bytes stored besides the bulk section (factors, scaling vectors). */
    default long fixedBytes() {
        return 0;
    }

    /** A section holding {@code values} as they are. */
    static Section copy(MemorySegment values, int width) {
        return new Section(
                values.byteSize(),
                width,
                (offset, dst, len) -> MemorySegment.copy(values, ValueLayout.JAVA_BYTE, offset, dst, 0, len));
    }

    /** A section holding a small array. */
    static Section whole(byte[] bytes, int width) {
        return new Section(
                bytes.length, width, (offset, dst, len) -> System.arraycopy(bytes, (int) offset, dst, 0, len));
    }
}
