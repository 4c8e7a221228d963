package org.gittheta.format;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;

/** One checkpoint file format: how to split a file of it into skeleton and tensors, validating as it goes. */
public interface CheckpointFormat {
    /** Short stable name, as written in manifests: {@code "safetensors"}. */
    String name();

    /** Reads and completely validates a whole file given as a mapped segment. */
    CheckpointLayout read(String file, MemorySegment content) throws BadCheckpointException;

    /** Derives the layout from a skeleton alone (as stored in our manifest), validating it the same way. */
    CheckpointLayout fromSkeleton(String file, byte[] skeleton) throws BadCheckpointException;

    /**
     * The layout a manifest describes, given its skeleton and the file size it records. Most formats read it all
     * from the skeleton (the caller compares the sizes); a file stored whole has an empty skeleton and needs the size.
     */
    default CheckpointLayout fromManifest(String file, byte[] skeleton, long fileSize) throws BadCheckpointException {
        return fromSkeleton(file, skeleton);
    }

    /**
     * The skeleton of this file once the tensors named in {@code changed} hold other values than the file had (update
     * data applied, lossy storage): a format whose skeleton records checksums of tensor bytes (torch zip's CRC-32)
     * recomputes them from {@code values}, so that checkout writes a valid file; the others return it unchanged.
     */
    default byte[] withValues(String file, byte[] skeleton, Set<String> changed, CheckpointWriter.TensorSource values)
            throws IOException {
        return skeleton;
    }

    /**
     * Whether the skeleton is a prefix of the file, so that clean can read {@link #skeletonLength} bytes and
     * stream the tensors after them. When false (torch zip: its central directory follows the data), the file
     * must be read whole, from a spooled temporary file if it comes from a stream, with {@link #read}, and
     * {@link #skeletonLength} and {@link #minPrefix} throw {@link UnsupportedOperationException}.
     */
    default boolean streamsFromPrefix() {
        return true;
    }

    /**
     * For streaming: given the first bytes of a file (at least {@link #minPrefix()} of them, or fewer if the
     * file is that short), how long the skeleton prefix is before the first tensor byte.
     */
    long skeletonLength(String file, MemorySegment prefix) throws BadCheckpointException;

    /** How many leading bytes {@link #skeletonLength} needs. */
    int minPrefix();

    /**
     * For streaming: reads from {@code in} the skeleton prefix (the bytes before the first tensor byte) and not one
     * byte more. The default asks {@link #skeletonLength} about the first {@link #minPrefix()} bytes; formats
     * whose header length is not in a fixed-size field (GGUF) override it.
     *
     * @throws BadCheckpointException when the header is malformed or the stream ends inside it
     */
    default byte[] readSkeletonPrefix(String file, InputStream in) throws IOException {
        byte[] prefix = in.readNBytes(minPrefix());
        long length = skeletonLength(file, MemorySegment.ofArray(prefix));
        if (length > Integer.MAX_VALUE - 8) {
            throw new BadCheckpointException(file, "header of " + length + " bytes is too large");
        }
        byte[] skeleton = Arrays.copyOf(prefix, (int) length);
        int got = prefix.length + in.readNBytes(skeleton, prefix.length, Math.max(0, skeleton.length - prefix.length));
        if (got < length) {
            throw new BadCheckpointException(
                    file, "truncated: the header needs " + length + " bytes, the file has " + got);
        }
        return skeleton;
    }
}
