package org.gittheta.format;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * A file stored whole, as git-lfs would: it is no checkpoint git-theta can split (unknown content, a pickle that
 * is not a state dict, a legacy torch pickle). The layout is an empty skeleton and one U8 slot, {@link #WHOLE_FILE},
 * spanning the file, so objects, transfers, checkout and diff treat it as a checkpoint of one parameter. Nothing
 * in the file is interpreted.
 *
 * <p>An empty skeleton does not tell the file's size: the layout comes from {@link #fromManifest}, which is given
 * it; the size is known only once the whole file is read, so {@link #streamsFromPrefix()} is false.
 */
public final class OpaqueFormat implements CheckpointFormat {
    public static final OpaqueFormat INSTANCE = new OpaqueFormat();

    /** The one parameter's name; parentheses keep it apart from any tensor name a checkpoint could hold. */
    public static final String WHOLE_FILE = "(file)";

    private OpaqueFormat() {}

    @Override
    public String name() {
        return "opaque";
    }

    @Override
    public boolean streamsFromPrefix() {
        return false;
    }

    @Override
    public CheckpointLayout read(String file, MemorySegment content) {
        return layout(content.byteSize());
    }

    /** @throws BadCheckpointException always: the skeleton is empty, the size is in the manifest */
    @Override
    public CheckpointLayout fromSkeleton(String file, byte[] skeleton) throws BadCheckpointException {
        throw new BadCheckpointException(file, "a file stored whole has no skeleton to read its size from");
    }

    @Override
    public CheckpointLayout fromManifest(String file, byte[] skeleton, long fileSize) throws BadCheckpointException {
        if (skeleton.length != 0) {
            throw new BadCheckpointException(
                    file, "a file stored whole has an empty skeleton, not " + skeleton.length + " bytes");
        }
        return layout(fileSize);
    }

    /** @throws UnsupportedOperationException always: see {@link #streamsFromPrefix()} */
    @Override
    public long skeletonLength(String file, MemorySegment prefix) {
        throw new UnsupportedOperationException("opaque files have no skeleton prefix");
    }

    /** @throws UnsupportedOperationException always: see {@link #streamsFromPrefix()} */
    @Override
    public int minPrefix() {
        throw new UnsupportedOperationException("opaque files have no skeleton prefix");
    }

    /** An empty file has nothing to store: no parameter (its clean leaves it empty, see {@code Cleaner}). */
    private CheckpointLayout layout(long fileSize) {
        return new CheckpointLayout(
                name(),
                new byte[0],
                fileSize,
                fileSize == 0
                        ? List.of()
                        : List.of(new TensorSlot(WHOLE_FILE, DType.U8, Shape.of(fileSize), 0, fileSize)));
    }
}
