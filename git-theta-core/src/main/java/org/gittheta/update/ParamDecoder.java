package org.gittheta.update;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.util.zip.CRC32C;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;

/**
 * Rebuilds a parameter's exact raw bytes from the store, checking them against the object's checksum.
 * Delta chains are resolved from the objects' own headers and decoded chunk by chunk, chunks in parallel.
 */
public final class ParamDecoder {
    private final ObjectStore store;

    public ParamDecoder(ObjectStore store) { this.store = store; }

    public void decode(ParamEntry entry, OutputStream out) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Layer top = Layer.open(store, entry.object().id(), arena);
            ObjectFormat.Reader reader = top.reader();
            if (reader.header().dtype() != entry.dtype() || !reader.header().shape().equals(entry.shape())) {
                throw new CorruptObjectException(reader.id(), "it holds " + reader.header().dtype() + " " + reader.header().shape()
                        + ", parameter '" + entry.name() + "' is " + entry.dtype() + " " + entry.shape());
            }
            int chunks = Math.toIntExact((entry.byteSize() + ObjectFormat.CHUNK_SIZE - 1) / ObjectFormat.CHUNK_SIZE);
            CRC32C crc = new CRC32C();
            long[] written = {0};
            Ordered.run(chunks, top::chunk, data -> {
                crc.update(data, 0, data.length);
                out.write(data, 0, data.length);
                written[0] += data.length;
            });
            if (written[0] != entry.byteSize() || (int) crc.getValue() != reader.valuesCrc()) {
                throw new CorruptObjectException(reader.id(), "decoded values of parameter '" + entry.name() + "' do not match their checksum");
            }
        }
    }
}
