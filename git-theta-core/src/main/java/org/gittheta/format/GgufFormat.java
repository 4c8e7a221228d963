package org.gittheta.format;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GGUF, llama.cpp's checkpoint format, versions 2 and 3 (little-endian): magic, version, tensor and metadata
 * counts, typed metadata key/values, tensor infos (name, dims, ggml type, offset within the data section), padding
 * to the alignment ({@code general.alignment}, default 32), then the data section, where each tensor starts at
 * an aligned offset and is followed by zero padding up to the next one and, after the last, up to the alignment.
 *
 * <p>The skeleton is everything but tensor data: the header with its padding (the streaming prefix,
 * {@link #skeletonLength}) followed by the padding bytes between and after tensors, in file order. The file size
 * is fixed by the header alone: data section start plus the end of the furthest tensor rounded up to the
 * alignment, which is how gguf-py and llama.cpp write files; any other file length is refused. A stored skeleton
 * may hold just the header prefix: {@link #fromSkeleton} then takes the padding after it to be zeros, as those
 * writers write it.
 *
 * <p>Shapes are row-major (numpy's order, as gguf-py reports them): GGUF dims {@code [ne0, ne1]} become
 * {@code [ne1, ne0]}. Quantized tensors are {@link org.gittheta.tensor.DType.Kind#QUANTIZED} raw blocks.
 */
public final class GgufFormat implements CheckpointFormat {
    public static final GgufFormat INSTANCE = new GgufFormat();

    /** A skeleton is held in memory; real ones are a few MiB (vocabularies), so this only stops hostile ones. */
    static final int MAX_SKELETON = 1 << 28;

    /** Magic, version and the two counts. */
    private static final int FIXED_HEADER = 24;

    private GgufFormat() {}

    /** Whether {@code head}, the first bytes of a file, starts with GGUF's magic. */
    public static boolean hasMagic(byte[] head) {
        return head.length >= GgufHeader.MAGIC.length
                && Arrays.equals(head, 0, GgufHeader.MAGIC.length, GgufHeader.MAGIC, 0, GgufHeader.MAGIC.length);
    }

    @Override
    public String name() {
        return "gguf";
    }

    /**
     * The fixed part of the header; GGUF has no header length field, so {@link #skeletonLength} needs a prefix
     * holding every metadata entry and tensor info. Streams use {@link #readSkeletonPrefix}, which reads exactly that.
     */
    @Override
    public int minPrefix() {
        return FIXED_HEADER;
    }

    @Override
    public long skeletonLength(String file, MemorySegment prefix) throws BadCheckpointException {
        return header(GgufInput.of(file, prefix)).dataStart();
    }

    @Override
    public byte[] readSkeletonPrefix(String file, InputStream in) throws IOException {
        GgufInput input = GgufInput.reading(file, in, MAX_SKELETON);
        GgufHeader header = GgufHeader.parse(input);
        input.skip(header.dataStart() - input.position(), "padding before the data section");
        return input.consumed();
    }

    @Override
    public CheckpointLayout read(String file, MemorySegment content) throws BadCheckpointException {
        GgufHeader header = header(GgufInput.of(file, content));
        long fileSize = content.byteSize();
        if (header.dataStart() > fileSize) {
            throw new BadCheckpointException(
                    file,
                    "truncated: the data section starts at byte " + header.dataStart() + ", past the end of the file ("
                            + fileSize + " bytes)");
        }
        Placement placement = place(file, header);
        for (TensorSlot slot : placement.slots()) {
            if (slot.end() > fileSize) {
                throw new BadCheckpointException(
                        file,
                        slot.name(),
                        "data [" + slot.offset() + ", " + slot.end() + ") runs past the end of the file (" + fileSize
                                + " bytes)");
            }
        }
        if (fileSize != placement.fileSize()) {
            String how = fileSize < placement.fileSize() ? "truncated: " : "trailing data: ";
            throw new BadCheckpointException(
                    file,
                    how + "the file is " + fileSize
                            + " bytes, but its header puts the end at " + placement.fileSize()
                            + " (the last tensor's end padded to the " + header.alignment() + "-byte alignment)");
        }
        List<TensorSlot> slots = placement.slots();
        byte[] skeleton = new CheckpointLayout(name(), new byte[(int) placement.skeletonLength()], fileSize, slots)
                .skeletonIn(content);
        return new CheckpointLayout(name(), skeleton, fileSize, slots);
    }

    @Override
    public CheckpointLayout fromSkeleton(String file, byte[] skeleton) throws BadCheckpointException {
        GgufHeader header = header(GgufInput.of(file, MemorySegment.ofArray(skeleton)));
        Placement placement = place(file, header);
        byte[] full;
        if (skeleton.length == placement.skeletonLength()) {
            full = skeleton;
        } else if (skeleton.length == header.dataStart()) {
            full = Arrays.copyOf(skeleton, (int) placement.skeletonLength());
        } else {
            throw new BadCheckpointException(
                    file,
                    "the skeleton is " + skeleton.length
                            + " bytes, but its header needs " + header.dataStart() + " (header alone) or "
                            + placement.skeletonLength() + " (with the padding after it)");
        }
        return new CheckpointLayout(name(), full, placement.fileSize(), placement.slots());
    }

    /** The header, any I/O failure of a given segment being a malformed file. */
    private static GgufHeader header(GgufInput input) throws BadCheckpointException {
        try {
            return GgufHeader.parse(input);
        } catch (BadCheckpointException e) {
            throw e;
        } catch (IOException e) {
            // given bytes are read without I/O; anything else is a bug
            throw new IllegalStateException(e);
        }
    }

    /**
     * Where the tensors are in the file, in file order, checked not to overlap; the file size the header implies;
     * the skeleton's length (everything but tensor bytes).
     */
    private record Placement(List<TensorSlot> slots, long fileSize, long skeletonLength) {}

    private static Placement place(String file, GgufHeader header) throws BadCheckpointException {
        long dataStart = header.dataStart();
        List<TensorSlot> slots = new ArrayList<>(header.tensors().size());
        for (GgufHeader.Info t : header.tensors()) {
            try {
                Math.addExact(Math.addExact(dataStart, t.offset()), t.length());
            } catch (ArithmeticException e) {
                throw new BadCheckpointException(
                        file,
                        t.name(),
                        "offset " + t.offset() + " and length " + t.length() + " overflow a file position");
            }
            slots.add(new TensorSlot(t.name(), t.dtype(), t.shape(), dataStart + t.offset(), t.length()));
        }
        slots.sort(CheckpointLayout.FILE_ORDER);
        long end = dataStart;
        long tensorBytes = 0;
        TensorSlot previous = null;
        for (TensorSlot slot : slots) {
            if (slot.offset() < end) {
                throw new BadCheckpointException(
                        file,
                        slot.name(),
                        "data at offset " + (slot.offset() - dataStart)
                                + " overlaps tensor '" + previous.name() + "' (offset "
                                + (previous.offset() - dataStart)
                                + ", " + previous.length() + " bytes)");
            }
            end = slot.end();
            tensorBytes += slot.length();
            previous = slot;
        }
        long alignment = header.alignment();
        long fileSize = end + Math.floorMod(-(end - dataStart), alignment);
        if (fileSize < end) {
            throw new BadCheckpointException(
                    file, "the data section padded to the alignment overflows a file" + " position");
        }
        long skeletonLength = fileSize - tensorBytes;
        if (skeletonLength > MAX_SKELETON) {
            throw new BadCheckpointException(
                    file,
                    "the " + skeletonLength + " bytes of header and padding exceed the" + " limit of " + MAX_SKELETON
                            + " bytes");
        }
        return new Placement(slots, fileSize, skeletonLength);
    }
}
