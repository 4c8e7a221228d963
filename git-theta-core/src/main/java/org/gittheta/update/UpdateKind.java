package org.gittheta.update;

import java.util.Locale;
import java.util.Optional;

/**
 * The forms a parameter version can be stored in; the code is written into each object's header and
 * the label into the manifest. Every kind but dense is a delta against the previous version's object.
 */
public enum UpdateKind {
    DENSE(0, "dense"),
    SPARSE(1, "sparse"),
    XOR_DELTA(2, "xor-delta"),
    LOW_RANK(3, "low-rank"),
    IA3(4, "ia3");

    private final int code;
    private final String label;

    UpdateKind(int code, String label) {
        this.code = code;
        this.label = label;
    }

    public int code() {
        return code;
    }

    /** The word used in manifests and on the command line. */
    public String label() {
        return label;
    }

    public static Optional<UpdateKind> fromLabel(String label) {
        for (UpdateKind k : values()) if (k.label.equals(label.toLowerCase(Locale.ROOT))) return Optional.of(k);
        return Optional.empty();
    }

    public static UpdateKind fromCode(int code) {
        for (UpdateKind k : values()) if (k.code == code) return k;
        throw new IllegalArgumentException("unknown update kind " + code);
    }
}
