package org.gittheta.format;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * What a GGUF header (v2 or v3, little-endian) says about the file's layout, checked as it is parsed.
 *
 * @param alignment of tensor offsets and of the data section, from {@code general.alignment} (default 32)
 * @param dataStart absolute offset of the data section: the end of the tensor infos rounded up to the alignment
 * @param tensors   in header order; shapes row-major (GGUF's dims reversed), offsets relative to the data section
 */
record GgufHeader(long alignment, long dataStart, List<Info> tensors) {
    /** One tensor info. */
    record Info(String name, DType dtype, Shape shape, long offset, long length) {}

    static final byte[] MAGIC = {'G', 'G', 'U', 'F'};
    static final String ALIGNMENT_KEY = "general.alignment";
    private static final long DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    private static final int MAX_DIMS = 4;
    /** Keys and tensor names are short identifiers; the limit keeps a corrupt length from allocating. */
    private static final int MAX_NAME_BYTES = 1 << 16;
    /** Nesting of arrays is legal but never deep in practice; the limit keeps recursion off the stack's edge. */
    private static final int MAX_ARRAY_DEPTH = 64;

    private static final int TYPE_U32 = 4;
    private static final int TYPE_STRING = 8;
    private static final int TYPE_ARRAY = 9;
    private static final String[] TYPE_NAMES = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"
    };
    /** Bytes of a value of each type; 0 for string and array, whose size is in the value. */
    private static final int[] TYPE_SIZES = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    /** Smallest metadata entry: empty key (8), type (4), one-byte value. */
    private static final int MIN_ENTRY_BYTES = 13;
    /** Smallest tensor info: empty name (8), n_dims (4), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 24;

    static GgufHeader parse(GgufInput in) throws IOException {
        String file = in.file();
        checkMagic(in);
        checkVersion(file, in.u32("version"));
        long tensorCount = in.u64("tensor count");
        long entryCount = count(in, in.u64("metadata count"), MIN_ENTRY_BYTES, "metadata entries");
        count(in, tensorCount, MIN_TENSOR_INFO_BYTES, "tensors");
        long alignment = DEFAULT_ALIGNMENT;
        Set<String> keys = new HashSet<>();
        for (long i = 0; i < entryCount; i++) {
            String key = in.string("key of metadata entry " + i, MAX_NAME_BYTES);
            if (!keys.add(key)) throw new BadCheckpointException(file, "metadata key '" + key + "' appears twice");
            String label = "metadata '" + key + "'";
            int type = in.u32(label);
            if (key.equals(ALIGNMENT_KEY)) {
                alignment = alignment(in, type, label);
            } else {
                skipValue(in, type, label, 0);
            }
        }
        List<Info> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            Info info;
            try {
                info = tensorInfo(in, alignment, i);
            } catch (BadCheckpointException e) {
                // a tensor count larger than the file's reads tensor infos from padding or data: say so
                if (i == 0) throw e;
                throw e.withContext("(tensor info " + (i + 1) + " of the " + tensorCount + " the header counts)");
            }
            if (!names.add(info.name())) {
                throw new BadCheckpointException(file, info.name(), "appears twice in the header");
            }
            tensors.add(info);
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        return new GgufHeader(alignment, dataStart, tensors);
    }

    /** The element type of ggml type number {@code ggmlType}, if it is one ggml still defines. */
    static Optional<DType> dtype(int ggmlType) {
        return Optional.ofNullable(
                switch (ggmlType) {
                    case 0 -> DType.F32;
                    case 1 -> DType.F16;
                    case 2 -> DType.Q4_0;
                    case 3 -> DType.Q4_1;
                    case 6 -> DType.Q5_0;
                    case 7 -> DType.Q5_1;
                    case 8 -> DType.Q8_0;
                    case 9 -> DType.Q8_1;
                    case 10 -> DType.Q2_K;
                    case 11 -> DType.Q3_K;
                    case 12 -> DType.Q4_K;
                    case 13 -> DType.Q5_K;
                    case 14 -> DType.Q6_K;
                    case 15 -> DType.Q8_K;
                    case 16 -> DType.IQ2_XXS;
                    case 17 -> DType.IQ2_XS;
                    case 18 -> DType.IQ3_XXS;
                    case 19 -> DType.IQ1_S;
                    case 20 -> DType.IQ4_NL;
                    case 21 -> DType.IQ3_S;
                    case 22 -> DType.IQ2_S;
                    case 23 -> DType.IQ4_XS;
                    case 24 -> DType.I8;
                    case 25 -> DType.I16;
                    case 26 -> DType.I32;
                    case 27 -> DType.I64;
                    case 28 -> DType.F64;
                    case 29 -> DType.IQ1_M;
                    case 30 -> DType.BF16;
                    case 34 -> DType.TQ1_0;
                    case 35 -> DType.TQ2_0;
                    case 39 -> DType.MXFP4;
                    default -> null;
                });
    }

    private static void checkMagic(GgufInput in) throws IOException {
        int magic = in.u32("magic");
        int expected = (MAGIC[0] & 0xff) | (MAGIC[1] & 0xff) << 8 | (MAGIC[2] & 0xff) << 16 | (MAGIC[3] & 0xff) << 24;
        if (magic != expected) {
            throw new BadCheckpointException(
                    in.file(),
                    "not a GGUF file: it starts with " + String.format("%08x", Integer.reverseBytes(magic))
                            + ", not the magic 'GGUF'");
        }
    }

    private static void checkVersion(String file, int version) throws BadCheckpointException {
        if (version == 2 || version == 3) return;
        if (version == 1) {
            throw new BadCheckpointException(
                    file,
                    "GGUF version 1 is not supported (only 2 and 3): " + "convert the file with a current llama.cpp");
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped >= 1 && swapped <= 3) {
            throw new BadCheckpointException(
                    file, "GGUF version " + swapped + " in big-endian byte order is not supported");
        }
        throw new BadCheckpointException(
                file, "GGUF version " + Integer.toUnsignedString(version) + " is not supported (only 2 and 3)");
    }

    /** A count read from the header, refused before anything is sized by it if its entries cannot fit. */
    private static long count(GgufInput in, long n, int minBytes, String what) throws BadCheckpointException {
        if (n < 0 || n > in.remainingAtMost() / minBytes) {
            throw new BadCheckpointException(
                    in.file(),
                    "truncated or corrupt: the header claims "
                            + Long.toUnsignedString(n) + " " + what + ", more than the " + in.remainingAtMost()
                            + " bytes after the counts can hold");
        }
        return n;
    }

    private static long alignment(GgufInput in, int type, String label) throws IOException {
        if (type != TYPE_U32) {
            throw new BadCheckpointException(in.file(), label + " is of type " + typeName(type) + ", not u32");
        }
        long a = Integer.toUnsignedLong(in.u32(label));
        if (a == 0 || (a & (a - 1)) != 0) {
            throw new BadCheckpointException(in.file(), label + " is " + a + ", not a power of two");
        }
        return a;
    }

    private static void skipValue(GgufInput in, int type, String label, int depth) throws IOException {
        int size = typeSize(in, type, label);
        if (size > 0) {
            in.skip(size, label);
        } else if (type == TYPE_STRING) {
            in.skip(in.u64(label), label);
        } else {
            if (depth == MAX_ARRAY_DEPTH) {
                throw new BadCheckpointException(in.file(), label + ": arrays nested deeper than " + MAX_ARRAY_DEPTH);
            }
            int elementType = in.u32(label);
            int elementSize = typeSize(in, elementType, label);
            long count = in.u64(label);
            // strings take at least their 8-byte length, arrays their 12-byte type and count
            long least = elementSize > 0 ? elementSize : elementType == TYPE_STRING ? 8 : 12;
            if (count < 0 || count > in.remainingAtMost() / least) {
                throw new BadCheckpointException(
                        in.file(),
                        "truncated or corrupt: " + label + ": array of "
                                + Long.toUnsignedString(count) + " " + typeName(elementType)
                                + " values runs past the end of the header");
            }
            if (elementSize > 0) {
                in.skip(count * elementSize, label);
            } else {
                for (long i = 0; i < count; i++) skipValue(in, elementType, label, depth + 1);
            }
        }
    }

    private static int typeSize(GgufInput in, int type, String label) throws BadCheckpointException {
        if (type < 0 || type >= TYPE_SIZES.length) {
            throw new BadCheckpointException(
                    in.file(), label + ": unknown value type " + Integer.toUnsignedString(type));
        }
        return TYPE_SIZES[type];
    }

    private static String typeName(int type) {
        return type >= 0 && type < TYPE_NAMES.length
                ? TYPE_NAMES[type]
                : "unknown type " + Integer.toUnsignedString(type);
    }

    private static Info tensorInfo(GgufInput in, long alignment, long index) throws IOException {
        String file = in.file();
        String name = in.string("name of tensor " + index, MAX_NAME_BYTES);
        String label = "tensor '" + name + "'";
        int nDims = in.u32(label);
        if (nDims < 0 || nDims > MAX_DIMS) {
            throw new BadCheckpointException(
                    file, name, "has " + Integer.toUnsignedString(nDims) + " dimensions, more than ggml's " + MAX_DIMS);
        }
        long[] ne = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            ne[d] = in.u64(label);
            if (ne[d] < 0) {
                throw new BadCheckpointException(
                        file, name, "dimension " + d + " is " + Long.toUnsignedString(ne[d]) + ", more than 2^63 - 1");
            }
        }
        int ggmlType = in.u32(label);
        DType dtype = dtype(ggmlType)
                .orElseThrow(() -> new BadCheckpointException(
                        file, name, "unknown ggml type " + Integer.toUnsignedString(ggmlType)));
        long offset = in.u64(label);
        Shape shape = rowMajor(file, name, ne);
        if (nDims > 0 && ne[0] % dtype.blockElements() != 0) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "rows of " + ne[0] + " elements are not whole " + dtype.blockElements() + "-element blocks of "
                            + dtype);
        }
        long length = TensorSlot.byteSize(file, name, dtype, shape);
        if (offset < 0) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "offset " + Long.toUnsignedString(offset) + " in the data section overflows a file position");
        }
        if (offset % alignment != 0) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "offset " + offset + " in the data section is not a multiple of the alignment " + alignment);
        }
        return new Info(name, dtype, shape, offset, length);
    }

    /** GGUF lists dims fastest-varying first (ne0 = row length); the shape is the row-major order numpy uses. */
    private static Shape rowMajor(String file, String name, long[] ne) throws BadCheckpointException {
        long[] dims = new long[ne.length];
        for (int i = 0; i < ne.length; i++) dims[i] = ne[ne.length - 1 - i];
        try {
            return Shape.of(dims);
        } catch (IllegalArgumentException e) {
            throw new BadCheckpointException(file, name, "dims " + Arrays.toString(ne) + ": element count overflows");
        }
    }
}
