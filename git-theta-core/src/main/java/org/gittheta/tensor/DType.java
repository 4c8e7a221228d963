package org.gittheta.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of the checkpoint formats, named as safetensors names them (quantized types as ggml names them).
 * Sub-byte types (F4, F6) are packed; a tensor of them must fill whole bytes. {@link Kind#QUANTIZED} types are
 * ggml's block formats, kept as raw blocks: a block of {@link #blockElements()} elements takes
 * {@link #blockBytes()} bytes, and nothing here reads their values.
 */
public enum DType {
    BOOL(8, Kind.BOOL, 1),
    U8(8, Kind.UNSIGNED, 2),
    I8(8, Kind.SIGNED, 3),
    U16(16, Kind.UNSIGNED, 4),
    I16(16, Kind.SIGNED, 5),
    U32(32, Kind.UNSIGNED, 6),
    I32(32, Kind.SIGNED, 7),
    U64(64, Kind.UNSIGNED, 8),
    I64(64, Kind.SIGNED, 9),
    F16(16, Kind.FLOAT, 10),
    BF16(16, Kind.FLOAT, 11),
    F32(32, Kind.FLOAT, 12),
    F64(64, Kind.FLOAT, 13),
    F8_E4M3(8, Kind.FLOAT, 14),
    F8_E5M2(8, Kind.FLOAT, 15),
    F8_E8M0(8, Kind.FLOAT, 16),
    F6_E2M3(6, Kind.FLOAT, 17),
    F6_E3M2(6, Kind.FLOAT, 18),
    F4(4, Kind.FLOAT, 19),
    C64(64, Kind.COMPLEX, 20),
    // ggml's block-quantized types (sizes from ggml-common.h): elements per block, bytes per block
    Q4_0(32, 18, 21),
    Q4_1(32, 20, 22),
    Q5_0(32, 22, 23),
    Q5_1(32, 24, 24),
    Q8_0(32, 34, 25),
    Q8_1(32, 36, 26),
    Q2_K(256, 84, 27),
    Q3_K(256, 110, 28),
    Q4_K(256, 144, 29),
    Q5_K(256, 176, 30),
    Q6_K(256, 210, 31),
    Q8_K(256, 292, 32),
    IQ2_XXS(256, 66, 33),
    IQ2_XS(256, 74, 34),
    IQ3_XXS(256, 98, 35),
    IQ1_S(256, 50, 36),
    IQ4_NL(32, 18, 37),
    IQ3_S(256, 110, 38),
    IQ2_S(256, 82, 39),
    IQ4_XS(256, 136, 40),
    IQ1_M(256, 56, 41),
    TQ1_0(256, 54, 42),
    TQ2_0(256, 66, 43),
    MXFP4(32, 17, 44);

    /** What the bits of an element mean, for arithmetic and statistics. */
    public enum Kind {
        BOOL,
        UNSIGNED,
        SIGNED,
        FLOAT,
        COMPLEX,
        QUANTIZED
    }

    private final int bits;
    private final Kind kind;
    private final int code;
    private final int blockElements;

    DType(int bits, Kind kind, int code) {
        this.bits = bits;
        this.kind = kind;
        this.code = code;
        this.blockElements = 1;
    }

    DType(int blockElements, int blockBytes, int code) {
        this.bits = blockBytes * 8;
        this.kind = Kind.QUANTIZED;
        this.code = code;
        this.blockElements = blockElements;
    }

    /** Bits of one element; for {@link Kind#QUANTIZED} types, of one block of {@link #blockElements()}. */
    public int bits() {
        return bits;
    }

    /** Elements stored together: 1, or the block size of a quantized type (a tensor holds whole blocks). */
    public int blockElements() {
        return blockElements;
    }

    /** Bytes of one block of a quantized type (for other types: of one element, 0 for packed sub-byte ones). */
    public int blockBytes() {
        return bits / 8;
    }

    public Kind kind() {
        return kind;
    }

    /** Stable number for binary formats; never reuse or renumber. */
    public int code() {
        return code;
    }

    /**
     * Width of one element in whole bytes, 1 for packed sub-byte types: the unit of byte shuffling.
     * 1 for quantized types too: their blocks mix f16 scales with packed quants, so no wider unit lines up.
     */
    public int byteWidth() {
        return kind == Kind.QUANTIZED ? 1 : Math.max(1, bits / 8);
    }

    public boolean isFloat() {
        return kind == Kind.FLOAT;
    }

    /**
     * Byte size of {@code numel} elements.
     * @throws ArithmeticException on overflow, when packed elements do not fill whole bytes, or when quantized
     *     elements do not fill whole blocks
     */
    public long byteSize(long numel) {
        if (kind == Kind.QUANTIZED) {
            if (numel % blockElements != 0) {
                throw new ArithmeticException(numel + " elements of " + this + " are not a whole number of "
                        + blockElements + "-element blocks");
            }
            return Math.multiplyExact(numel / blockElements, (long) blockBytes());
        }
        long totalBits = Math.multiplyExact(numel, (long) bits);
        if (totalBits % 8 != 0) {
            throw new ArithmeticException(numel + " elements of " + this + " do not fill whole bytes");
        }
        return totalBits / 8;
    }

    public static Optional<DType> fromName(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static DType fromCode(int code) {
        for (DType t : values()) {
            if (t.code == code) return t;
        }
        throw new IllegalArgumentException("unknown dtype code " + code);
    }
}
