package org.gittheta.diff;

import java.util.Arrays;

/**
 * Every byte of a checkpoint file that is not parameter values (a header, metadata, padding, a zip's directory), with
 * the file's format and size: two versions whose parameters are all equal can still differ here.
 */
public record Skeleton(String format, long fileSize, byte[] bytes) {
    public Skeleton {
        bytes = bytes.clone();
    }

    /** Whether both are the same bytes of the same format. */
    public boolean sameAs(Skeleton other) {
        return format.equals(other.format) && fileSize == other.fileSize && Arrays.equals(bytes, other.bytes);
    }
}
