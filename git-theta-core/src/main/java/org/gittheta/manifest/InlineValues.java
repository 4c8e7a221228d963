package org.gittheta.manifest;

import java.util.Arrays;
import java.util.Base64;

/**
 * The raw values of a small parameter, kept in its manifest line ({@code update=inline values=<base64>}) instead of
 * an object of their own: Git stores and transfers them with the manifest, and there is no object file to create,
 * fsync, fetch, collect or check.
 */
public final class InlineValues {
    private static final Base64.Encoder ENCODER = Base64.getEncoder();
    private static final Base64.Decoder DECODER = Base64.getDecoder();

    private final byte[] bytes;

    public InlineValues(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    /**
     * The values a manifest's {@code values=} names: standard base64 with padding, written exactly as {@link #base64()}
     * writes it, so that a line reads back to the same text.
     * @throws IllegalArgumentException saying what is wrong with the text
     */
    static InlineValues fromBase64(String text) {
        byte[] bytes;
        try {
            bytes = DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("values= is not base64 (" + e.getMessage() + ")");
        }
        if (!ENCODER.encodeToString(bytes).equals(text)) {
            throw new IllegalArgumentException("values= is not canonical base64 (padding or trailing bits)");
        }
        return new InlineValues(bytes);
    }

    public String base64() {
        return ENCODER.encodeToString(bytes);
    }

    public int length() {
        return bytes.length;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InlineValues other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return base64();
    }
}
