package org.gittheta.store;

import java.util.HexFormat;

/** The name of a stored object: the lowercase hex SHA-256 of its bytes, as Git LFS names objects. */
public record ObjectId(String hex) implements Comparable<ObjectId> {
    public ObjectId {
        if (!isValid(hex)) throw new IllegalArgumentException("object id '" + hex + "' is not 64 lowercase hex digits");
    }

    /** Whether {@code hex} is 64 lowercase hex digits: nothing else may become a path in the object store. */
    public static boolean isValid(String hex) {
        return hex.length() == 64 && hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    public static ObjectId fromDigest(byte[] sha256) {
        return new ObjectId(HexFormat.of().formatHex(sha256));
    }

    public byte[] bytes() {
        return HexFormat.of().parseHex(hex);
    }

    /** Path below the objects directory: {@code ab/cd/abcd...}, the Git LFS layout. */
    public String relativePath() {
        return hex.substring(0, 2) + "/" + hex.substring(2, 4) + "/" + hex;
    }

    public String abbreviated() {
        return hex.substring(0, 12);
    }

    @Override
    public int compareTo(ObjectId o) {
        return hex.compareTo(o.hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
