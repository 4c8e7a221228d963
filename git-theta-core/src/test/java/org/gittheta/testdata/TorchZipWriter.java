package org.gittheta.testdata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;

/**
 * Writes a state dict the way {@code torch.save} (PyTorch 2.x, zip serialization) does, streamed: stored entries
 * {@code <archive>/data.pkl}, {@code .format_version}, {@code .storage_alignment}, {@code byteorder}, one
 * {@code data/<key>} per tensor (keys "0", "1", … in dict order, entries in the keys' string order),
 * {@code version} and {@code .data/serialization_id}; each entry's data 64-byte aligned by an {@code FB} extra field,
 * its CRC and sizes in a data descriptor after it, as miniz writes them. The pickle is protocol 2, memoized as
 * Python's pickler does, an {@code OrderedDict} of {@code torch._utils._rebuild_tensor_v2} calls on contiguous
 * storages. Archives up to 4 GiB (no zip64 records). Used by tests and by the benchmarks.
 */
public final class TorchZipWriter {
    private static final int ALIGNMENT = 64;
    private static final int LOCAL_LENGTH = 30;
    private static final int BATCH = 1000;

    private final OutputStream out;
    private final String prefix;
    private final ByteArrayOutputStream directory = new ByteArrayOutputStream();
    private long position;
    private int entries;

    private TorchZipWriter(OutputStream out, String archive) {
        this.out = out;
        this.prefix = archive + "/";
    }

    /**
     * Writes {@code tensors} (values in the order given) as {@code torch.save(state_dict, f)} with {@code archive}
     * the folder inside the zip (torch uses the file name without its extension). Does not close {@code out}.
     */
    public static void write(String archive, List<SafetensorsWriter.Tensor> tensors, OutputStream out)
            throws IOException {
        TorchZipWriter zip = new TorchZipWriter(out, archive);
        zip.entry("data.pkl", pickle(tensors));
        zip.entry(".format_version", ascii("1"));
        zip.entry(".storage_alignment", ascii(Integer.toString(ALIGNMENT)));
        zip.entry("byteorder", ascii("little"));
        Map<String, SafetensorsWriter.Tensor> byKey = new TreeMap<>();
        for (int i = 0; i < tensors.size(); i++) byKey.put(Integer.toString(i), tensors.get(i));
        for (var e : byKey.entrySet()) {
            SafetensorsWriter.Tensor t = e.getValue();
            zip.entry("data/" + e.getKey(), t.dtype().byteSize(t.shape().numel()), t.values());
        }
        zip.entry("version", ascii("3\n"));
        int id = tensors.stream().map(SafetensorsWriter.Tensor::name).toList().hashCode();
        zip.entry(".data/serialization_id", ascii("%040d".formatted(Integer.toUnsignedLong(id))));
        zip.finish();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void entry(String name, byte[] data) throws IOException {
        entry(name, data.length, o -> o.write(data));
    }

    private void entry(String name, long size, SafetensorsWriter.Values values) throws IOException {
        byte[] rawName = ascii(prefix + name);
        long local = position;
        long start = local + LOCAL_LENGTH + rawName.length + 4;
        int padding = (int) ((ALIGNMENT - start % ALIGNMENT) % ALIGNMENT);
        ByteBuffer header = localHeader(le(LOCAL_LENGTH + rawName.length + 4 + padding), 0, rawName, 4 + padding)
                .put((byte) 'F')
                .put((byte) 'B')
                .putShort((short) padding);
        while (header.hasRemaining()) header.put((byte) 'Z');
        emit(header.array());
        CRC32 crc = new CRC32();
        long[] written = {0};
        OutputStream data = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                crc.update(b, off, len);
                out.write(b, off, len);
                written[0] += len;
            }
        };
        values.writeTo(data);
        if (written[0] != size) throw new IOException(name + ": " + written[0] + " bytes written, " + size + " due");
        position += size;
        if (position > 0xFFFF_FFFFL) throw new IOException("archives past 4 GiB need zip64 records");
        emit(le(16).putInt(0x08074b50)
                .putInt((int) crc.getValue())
                .putInt((int) size)
                .putInt((int) size)
                .array());
        directory.write(centralRecord(le(46 + rawName.length), 0, crc.getValue(), (int) size, rawName, 0, (int) local)
                .array());
        entries++;
    }

    /** A local header up to its name, deferring CRC and sizes to a data descriptor (flags 0x0808), as miniz does. */
    public static ByteBuffer localHeader(ByteBuffer b, int version, byte[] name, int extraLength) {
        return b.putInt(0x04034b50)
                .putShort((short) version)
                .putShort((short) 0x0808)
                .putShort((short) 0)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putShort((short) name.length)
                .putShort((short) extraLength)
                .put(name);
    }

    /** A central directory record of a stored entry up to its extra field; -1 for a size or offset in zip64's. */
    public static ByteBuffer centralRecord(
            ByteBuffer b, int version, long crc, int size, byte[] name, int extraLength, int localOffset) {
        return b.putInt(0x02014b50)
                .putShort((short) version)
                .putShort((short) version)
                .putShort((short) 0x0808)
                .putShort((short) 0)
                .putInt(0)
                .putInt((int) crc)
                .putInt(size)
                .putInt(size)
                .putShort((short) name.length)
                .putShort((short) extraLength)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) 0)
                .putInt(0)
                .putInt(localOffset)
                .put(name);
    }

    private void finish() throws IOException {
        long directoryOffset = position;
        emit(directory.toByteArray());
        emit(le(22).putInt(0x06054b50)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) entries)
                .putShort((short) entries)
                .putInt(directory.size())
                .putInt((int) directoryOffset)
                .putShort((short) 0)
                .array());
    }

    private void emit(byte[] bytes) throws IOException {
        out.write(bytes);
        position += bytes.length;
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The pickle of the state dict, as Python's protocol-2 pickler writes it (strings and globals memoized). */
    static byte[] pickle(List<SafetensorsWriter.Tensor> tensors) {
        Pickler p = new Pickler();
        p.op(0x80).op(2);
        p.global("collections", "OrderedDict").op(')').op('R').put();
        for (int from = 0; from < tensors.size(); from += BATCH) {
            int to = Math.min(tensors.size(), from + BATCH);
            if (to - from > 1) p.op('(');
            for (int i = from; i < to; i++) p.tensor(Integer.toString(i), tensors.get(i));
            p.op(to - from > 1 ? 'u' : 's');
        }
        p.op('.');
        return p.bytes.toByteArray();
    }

    private static final class Pickler {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final Map<String, Integer> memo = new HashMap<>();

        Pickler op(int code) {
            bytes.write(code);
            return this;
        }

        /** Memoizes the value just written. */
        void put() {
            int n = memo.size();
            memo.put("#" + n, n);
            index('q', 'r', n);
        }

        private void index(int small, int large, int n) {
            if (n < 256) {
                op(small).op(n);
            } else {
                op(large);
                bytes.writeBytes(le(4).putInt(n).array());
            }
        }

        /** A memo hit by key, or writes the value with {@code write} and memoizes it under the key. */
        private Pickler memoized(String key, Runnable write) {
            Integer at = memo.get(key);
            if (at != null) {
                index('h', 'j', at);
                return this;
            }
            write.run();
            int n = memo.size();
            memo.put(key, n);
            index('q', 'r', n);
            return this;
        }

        Pickler global(String module, String name) {
            return memoized("global " + module + " " + name, () -> {
                op('c');
                bytes.writeBytes(ascii(module + "\n" + name + "\n"));
            });
        }

        Pickler string(String s) {
            return memoized("str " + s, () -> {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                op('X');
                bytes.writeBytes(le(4).putInt(utf8.length).array());
                bytes.writeBytes(utf8);
            });
        }

        Pickler integer(long v) {
            if (v >= 0 && v < 256) return op('K').op((int) v);
            if (v >= 0 && v < 65536) return op('M').op((int) (v & 0xFF)).op((int) (v >> 8));
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                bytes.writeBytes(le(4).putInt((int) v).array());
                return this;
            }
            op(0x8a).op(8);
            bytes.writeBytes(le(8).putLong(v).array());
            return this;
        }

        /** A tuple of ints: TUPLE1..3 or MARK … TUPLE, memoized; the empty tuple is not. */
        Pickler ints(long[] values) {
            if (values.length == 0) return op(')');
            if (values.length > 3) op('(');
            for (long v : values) integer(v);
            op(values.length > 3 ? 't' : 0x84 + values.length);
            put();
            return this;
        }

        void tensor(String key, SafetensorsWriter.Tensor t) {
            long[] dims = t.shape().dims();
            long[] strides = new long[dims.length];
            for (int i = dims.length - 1, s = 1; i >= 0; s *= (int) dims[i], i--) strides[i] = s;
            String dtype = V3_DTYPES.get(t.dtype());
            string(t.name());
            global("torch._utils", dtype == null ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3");
            op('(').op('(');
            string("storage")
                    .global("torch", dtype == null ? storageType(t.dtype()) : "UntypedStorage")
                    .string(key)
                    .string("cpu");
            integer(
                    dtype == null
                            ? t.shape().numel()
                            : t.dtype().byteSize(t.shape().numel()));
            op('t');
            put();
            op('Q');
            integer(0).ints(dims).ints(strides).op(0x89);
            global("collections", "OrderedDict").op(')').op('R');
            put();
            if (dtype != null) global("torch", dtype);
            op('t');
            put();
            op('R');
            put();
        }
    }

    /** The dtypes torch has no typed storage class for: saved with {@code _rebuild_tensor_v3} over bytes. */
    private static final Map<DType, String> V3_DTYPES = Map.of(
            DType.F8_E4M3, "float8_e4m3fn",
            DType.F8_E5M2, "float8_e5m2",
            DType.U16, "uint16",
            DType.U32, "uint32",
            DType.U64, "uint64");

    private static String storageType(DType t) {
        return switch (t) {
            case F32 -> "FloatStorage";
            case F16 -> "HalfStorage";
            case BF16 -> "BFloat16Storage";
            case F64 -> "DoubleStorage";
            case I64 -> "LongStorage";
            case I32 -> "IntStorage";
            case I16 -> "ShortStorage";
            case I8 -> "CharStorage";
            case U8 -> "ByteStorage";
            case BOOL -> "BoolStorage";
            case C64 -> "ComplexFloatStorage";
            default -> throw new IllegalArgumentException("torch has no storage type for " + t);
        };
    }

    /** The archive in memory, for small test files. */
    public static byte[] bytes(String archive, List<SafetensorsWriter.Tensor> tensors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(archive, tensors, out);
        return out.toByteArray();
    }
}
