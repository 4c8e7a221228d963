package org.gittheta.update;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.util.zip.CRC32C;
import org.gittheta.manifest.InlineValues;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.Ordered;

/**
 * A stored parameter's raw values, decoded as they are read: chunk c of the top version is computed from chunk c
 * of each object of its chain, a few chunks decoding ahead in parallel, so memory stays a few MiB per chain link
 * whatever the parameter's size. The values are checked against the object's checksum when the last chunk is
 * decoded: a reader that stops earlier has not been checked. Close it to unmap the chain's objects. Inline values
 * (checked against the manifest's sha256 when it was read) are one chunk, with nothing to decode or unmap.
 */
public final class ValuesReader extends InputStream {
    /** Where the values come from, and the check of what was delivered. */
    private interface Chunks extends AutoCloseable {
        boolean hasNext();

        byte[] next() throws IOException;

        void verify(long delivered, CRC32C crc) throws CorruptObjectException;

        @Override
        void close();
    }

    private final Chunks chunks;
    private final CRC32C crc = new CRC32C();
    private long delivered;
    private byte[] current = new byte[0];
    private int pos;

    private ValuesReader(Chunks chunks) {
        this.chunks = chunks;
    }

    private ValuesReader(ParamEntry entry, Arena arena, Layer layer) {
        Ordered.Results<byte[]> results = Ordered.results(layer.chunks(), c -> {
            byte[] out = new byte[layer.length(c)];
            layer.chunk(c, out);
            return out;
        });
        ObjectFormat.Reader top = layer.reader();
        this.chunks = new Chunks() {
            @Override
            public boolean hasNext() {
                return results.hasNext();
            }

            @Override
            public byte[] next() throws IOException {
                return results.next();
            }

            @Override
            public void verify(long delivered, CRC32C crc) throws CorruptObjectException {
                checkDecoded(entry, top, delivered, crc);
            }

            @Override
            public void close() {
                results.close();
                arena.close();
            }
        };
    }

    /** Inline values, as one chunk. */
    static ValuesReader of(InlineValues values) {
        return new ValuesReader(new Chunks() {
            private boolean taken;

            @Override
            public boolean hasNext() {
                return !taken;
            }

            @Override
            public byte[] next() {
                taken = true;
                return values.bytes();
            }

            @Override
            public void verify(long delivered, CRC32C crc) {
                // checked against the manifest's sha256 when the line was read
            }

            @Override
            public void close() {}
        });
    }

    static ValuesReader open(ParamEntry entry, Arena arena, Layer layer) throws CorruptObjectException {
        checkShape(entry, layer);
        return new ValuesReader(entry, arena, layer);
    }

    /** The object holds values of the parameter's dtype and shape. */
    static void checkShape(ParamEntry entry, Layer layer) throws CorruptObjectException {
        var h = layer.reader().header();
        if (h.dtype() != entry.dtype() || !h.shape().equals(entry.shape())) {
            throw new CorruptObjectException(
                    layer.reader().id(),
                    "it holds " + h.dtype() + " " + h.shape() + ", parameter '" + entry.name() + "' is " + entry.dtype()
                            + " " + entry.shape());
        }
    }

    /** The values' own check: as many bytes as the parameter has, with the checksum the top object records. */
    static void checkDecoded(ParamEntry entry, ObjectFormat.Reader top, long delivered, CRC32C crc)
            throws CorruptObjectException {
        if (delivered != entry.byteSize() || (int) crc.getValue() != top.valuesCrc()) {
            throw new CorruptObjectException(
                    top.id(), "decoded values of parameter '" + entry.name() + "' do not match their checksum");
        }
    }

    /** The next decoded chunk (the caller's to keep), or null after the last; the checksum is checked with the last. */
    public byte[] nextChunk() throws IOException {
        if (!chunks.hasNext()) {
            verify();
            return null;
        }
        byte[] data = chunks.next();
        crc.update(data, 0, data.length);
        delivered += data.length;
        if (!chunks.hasNext()) verify();
        return data;
    }

    private void verify() throws CorruptObjectException {
        chunks.verify(delivered, crc);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pos == current.length) {
            byte[] next = nextChunk();
            if (next == null) return -1;
            current = next;
            pos = 0;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        chunks.close();
    }
}
