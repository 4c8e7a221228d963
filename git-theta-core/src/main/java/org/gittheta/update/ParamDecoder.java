package org.gittheta.update;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.util.zip.CRC32C;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectStore;

/** Rebuilds a parameter's exact raw bytes from the store, checking them against the object's checksum. */
public final class ParamDecoder {
    private final ObjectStore store;

    public ParamDecoder(ObjectStore store) { this.store = store; }

    public void decode(ParamEntry entry, OutputStream out) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            ObjectFormat.Reader reader = ObjectFormat.Reader.open(store, entry.object().id(), arena);
            UpdateKind kind = UpdateKind.fromCode(reader.header().kind());
            if (kind != UpdateKind.DENSE) throw new CorruptObjectException(reader.id(), "unexpected update kind " + kind);
            CRC32C crc = new CRC32C();
            long[] written = {0};
            reader.readSection(0, (data, len) -> {
                crc.update(data, 0, len);
                out.write(data, 0, len);
                written[0] += len;
            });
            if (written[0] != entry.byteSize() || (int) crc.getValue() != reader.valuesCrc()) {
                throw new CorruptObjectException(reader.id(), "decoded values of parameter '" + entry.name() + "' do not match their checksum");
            }
        }
    }
}
