package org.gittheta.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of the checkpoint formats, named as safetensors names them.
 * Sub-byte types (F4, F6) are packed; a tensor of them must fill whole bytes.
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
    C64(64, Kind.COMPLEX, 20);

    /** What the bits of an element mean, for arithmetic and statistics. */
    public enum Kind { BOOL, UNSIGNED, SIGNED, FLOAT, COMPLEX }

    private final int bits;
    private final Kind kind;
    private final int code;

    DType(int bits, Kind kind, int code) {
        this.bits = bits;
        this.kind = kind;
        this.code = code;
    }

    public int bits() { return bits; }

    public Kind kind() { return kind; }

    /** Stable number for binary formats; never reuse or renumber. */
    public int code() { return code; }

    /** Width of one element in whole bytes, 1 for packed sub-byte types: the unit of byte shuffling. */
    public int byteWidth() { return Math.max(1, bits / 8); }

    public boolean isFloat() { return kind == Kind.FLOAT; }

    /**
     * Byte size of {@code numel} elements.
     * @throws ArithmeticException on overflow or when packed elements do not fill whole bytes
     */
    public long byteSize(long numel) {
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
