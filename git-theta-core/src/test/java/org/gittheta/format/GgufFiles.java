package org.gittheta.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import org.gittheta.tensor.DType;

/**
 * Writes GGUF files for tests the way gguf-py does (tensors in the order added, each padded with zeros to the
 * alignment), with knobs to write them wrong: any version, counts, types and offsets can be overridden.
 *
 * <pre>{@code
 * byte[] file = GgufFiles.v3().alignment(64).kv("general.name", Value.string("x"))
 *         .tensor("w", DType.Q4_K, 256, 2).bytes();
 * }</pre>
 */
final class GgufFiles {
    static final int U8 = 0,
            I8 = 1,
            U16 = 2,
            I16 = 3,
            U32 = 4,
            I32 = 5,
            F32 = 6,
            BOOL = 7,
            STRING = 8,
            ARRAY = 9,
            U64 = 10,
            I64 = 11,
            F64 = 12;

    private GgufFiles() {}

    static Builder v3() {
        return new Builder(3);
    }

    static Builder v2() {
        return new Builder(2);
    }

    /** A metadata value: its GGUF type and its bytes as they follow the type in the file. */
    record Value(int type, byte[] payload) {
        static Value u8(int v) {
            return new Value(U8, new byte[] {(byte) v});
        }

        static Value i8(int v) {
            return new Value(I8, new byte[] {(byte) v});
        }

        static Value u16(int v) {
            return new Value(U16, le(2).putShort((short) v).array());
        }

        static Value i16(int v) {
            return new Value(I16, le(2).putShort((short) v).array());
        }

        static Value u32(long v) {
            return new Value(U32, le(4).putInt((int) v).array());
        }

        static Value i32(int v) {
            return new Value(I32, le(4).putInt(v).array());
        }

        static Value f32(float v) {
            return new Value(F32, le(4).putFloat(v).array());
        }

        static Value bool(boolean v) {
            return new Value(BOOL, new byte[] {(byte) (v ? 1 : 0)});
        }

        static Value string(String s) {
            return new Value(STRING, str(s.getBytes(StandardCharsets.UTF_8)));
        }

        static Value u64(long v) {
            return new Value(U64, le(8).putLong(v).array());
        }

        static Value i64(long v) {
            return new Value(I64, le(8).putLong(v).array());
        }

        static Value f64(double v) {
            return new Value(F64, le(8).putDouble(v).array());
        }

        /** An array of {@code elements}, all of type {@code elementType}; arrays of arrays nest. */
        static Value array(int elementType, Value... elements) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(le(12).putInt(elementType).putLong(elements.length).array());
            for (Value e : elements) b.writeBytes(e.payload());
            return new Value(ARRAY, b.toByteArray());
        }
    }

    /** A tensor info and its data; {@code offset} null means placed after the previous tensor. */
    record Tensor(String name, int ggmlType, long[] ggufDims, Long offset, byte[] data) {}

    static final class Builder {
        private int version;
        private long alignment = 32;
        private Long tensorCount;
        private Long entryCount;
        private byte padding;
        private final List<byte[]> entries = new ArrayList<>();
        private final List<Tensor> tensors = new ArrayList<>();
        private final Random random = new Random(7);

        Builder(int version) {
            this.version = version;
        }

        Builder version(int v) {
            version = v;
            return this;
        }

        /** Writes {@code general.alignment} and aligns with it. */
        Builder alignment(long a) {
            alignment = a;
            return kv("general.alignment", Value.u32(a));
        }

        Builder kv(String key, Value value) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(str(key.getBytes(StandardCharsets.UTF_8)));
            b.writeBytes(le(4).putInt(value.type()).array());
            b.writeBytes(value.payload());
            entries.add(b.toByteArray());
            return this;
        }

        /** A tensor of random data; dims in GGUF's order (fastest first). */
        Builder tensor(String name, DType dtype, long... ggufDims) {
            long numel = 1;
            for (long d : ggufDims) numel *= d;
            byte[] data = new byte[(int) dtype.byteSize(numel)];
            random.nextBytes(data);
            return tensor(new Tensor(name, ggmlType(dtype), ggufDims, null, data));
        }

        Builder tensor(Tensor t) {
            tensors.add(t);
            return this;
        }

        Builder tensorCount(long n) {
            tensorCount = n;
            return this;
        }

        Builder entryCount(long n) {
            entryCount = n;
            return this;
        }

        /** The byte padding is written with (gguf-py writes zeros). */
        Builder padding(int b) {
            padding = (byte) b;
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(new byte[] {'G', 'G', 'U', 'F'});
            out.writeBytes(le(20).putInt(version)
                    .putLong(tensorCount != null ? tensorCount : tensors.size())
                    .putLong(entryCount != null ? entryCount : entries.size())
                    .array());
            entries.forEach(out::writeBytes);
            long next = 0;
            for (Tensor t : tensors) {
                out.writeBytes(str(t.name().getBytes(StandardCharsets.UTF_8)));
                ByteBuffer b = le(4 + 8 * t.ggufDims().length + 12).putInt(t.ggufDims().length);
                for (long d : t.ggufDims()) b.putLong(d);
                out.writeBytes(b.putInt(t.ggmlType())
                        .putLong(t.offset() != null ? t.offset() : next)
                        .array());
                next = align(next + t.data().length);
            }
            pad(out);
            for (Tensor t : tensors) {
                out.writeBytes(t.data());
                pad(out);
            }
            return out.toByteArray();
        }

        private long align(long n) {
            return (n + alignment - 1) / alignment * alignment;
        }

        private void pad(ByteArrayOutputStream out) {
            while (out.size() % alignment != 0) out.write(padding);
        }
    }

    /** ggml's number for {@code dtype}. */
    static int ggmlType(DType dtype) {
        return IntStream.range(0, 64)
                .filter(i -> GgufHeader.dtype(i).equals(Optional.of(dtype)))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(dtype + " is not a ggml type"));
    }

    static boolean isGgmlType(DType dtype) {
        return IntStream.range(0, 64).anyMatch(i -> GgufHeader.dtype(i).equals(Optional.of(dtype)));
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] str(byte[] utf8) {
        return le(8 + utf8.length).putLong(utf8.length).put(utf8).array();
    }
}
