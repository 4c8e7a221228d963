package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectHeader;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Section;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/** Stores one parameter version, reusing what the previous version already stored when the values are the same. */
public final class ParamEncoder {
    private final ObjectStore store;
    private final Codec codec;

    public ParamEncoder(ObjectStore store, Codec codec) {
        this.store = store;
        this.codec = codec;
    }

    /**
     * @param values   the parameter's raw bytes
     * @param previous the same parameter in the version this one replaces, if any
     */
    public ParamEntry encode(String name, DType dtype, Shape shape, MemorySegment values, Optional<ParamEntry> previous)
            throws IOException {
        ValuesDigest digest = ValuesDigest.of(values);
        if (previous.isPresent()) {
            ParamEntry p = previous.get();
            if (p.sha256().equals(digest.sha256()) && p.dtype() == dtype && p.shape().equals(shape)) return p;
        }
        ObjectHeader header = new ObjectHeader(UpdateKind.DENSE.code(), dtype, shape, List.of(), new byte[0]);
        Section section = new Section(values.byteSize(), dtype.byteWidth(),
                (offset, dst, len) -> MemorySegment.copy(values, ValueLayout.JAVA_BYTE, offset, dst, 0, len));
        ObjectId id = ObjectFormat.write(store, header, List.of(section), digest.crc32c(), codec);
        return new ParamEntry(name, dtype, shape, digest.sha256(), UpdateKind.DENSE.label(),
                List.of(new ObjectRef(id, store.size(id))));
    }
}
