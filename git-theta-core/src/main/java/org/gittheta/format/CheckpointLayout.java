package org.gittheta.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A checkpoint file seen as a skeleton plus tensors: the skeleton is every byte of the file that is not
 * tensor data, in file order (for safetensors: the 8-byte little-endian header length plus the JSON header
 * bytes exactly as in the file, including trailing padding spaces). tensors are in file (offset) order; the
 * file is rebuilt by interleaving skeleton bytes and tensor bytes by offset. fileSize = skeleton.length + sum(lengths).
 *
 * <p>File order is offset, then length, then name: zero-length tensors that share an offset are sorted by
 * name, and come before a non-empty tensor starting at the same offset, so that every tensor starts at or
 * after the end of the one before it.
 *
 * <p>Immutable: the skeleton is copied in and out. Equality compares the skeleton's bytes.
 */
public record CheckpointLayout(String format, byte[] skeleton, long fileSize, List<TensorSlot> tensors) {
    /** The order of {@link #tensors()}. */
    public static final Comparator<TensorSlot> FILE_ORDER = Comparator.comparingLong(TensorSlot::offset)
            .thenComparingLong(TensorSlot::length)
            .thenComparing(TensorSlot::name);

    /** @throws IllegalArgumentException if the parts do not describe one file; formats validate before building */
    public CheckpointLayout {
        Objects.requireNonNull(format, "format");
        skeleton = skeleton.clone();
        tensors = List.copyOf(tensors);
        Set<String> names = new HashSet<>();
        long tensorBytes = 0;
        TensorSlot previous = null;
        for (TensorSlot slot : tensors) {
            if (!names.add(slot.name())) {
                throw new IllegalArgumentException("layout: tensor '" + slot.name() + "' appears twice");
            }
            if (previous != null && (FILE_ORDER.compare(previous, slot) >= 0 || slot.offset() < previous.end())) {
                throw new IllegalArgumentException("layout: tensor '" + slot.name() + "' at " + slot.offset()
                        + " is out of order or overlaps tensor '" + previous.name() + "' at " + previous.offset());
            }
            if (slot.end() > fileSize) {
                throw new IllegalArgumentException("layout: tensor '" + slot.name() + "' ends at " + slot.end()
                        + ", past the file size " + fileSize);
            }
            tensorBytes += slot.length();
            previous = slot;
        }
        if (fileSize != skeleton.length + tensorBytes) {
            throw new IllegalArgumentException("layout: file size " + fileSize + " is not skeleton " + skeleton.length
                    + " + tensors " + tensorBytes + " bytes");
        }
    }

    /** A copy of the skeleton bytes. */
    @Override
    public byte[] skeleton() {
        return skeleton.clone();
    }

    /** Number of skeleton bytes, without copying them. */
    public int skeletonLength() {
        return skeleton.length;
    }

    /**
     * The skeleton as {@code file}, a file this layout describes, holds it: every byte outside the tensors, read
     * from the file (a layout derived from a skeleton prefix takes GGUF's padding after it to be zeros).
     */
    public byte[] skeletonIn(MemorySegment file) {
        byte[] bytes = new byte[skeleton.length];
        long from = 0;
        int at = 0;
        for (int i = 0; i <= tensors.size(); i++) {
            long until = i < tensors.size() ? tensors.get(i).offset() : fileSize;
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, from, bytes, at, (int) (until - from));
            at += (int) (until - from);
            if (i < tensors.size()) from = tensors.get(i).end();
        }
        return bytes;
    }

    /** The tensor called {@code name}; a linear scan, as callers mostly walk {@link #tensors()} in order. */
    public Optional<TensorSlot> tensor(String name) {
        for (TensorSlot slot : tensors) {
            if (slot.name().equals(name)) return Optional.of(slot);
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointLayout l
                && format.equals(l.format)
                && fileSize == l.fileSize
                && Arrays.equals(skeleton, l.skeleton)
                && tensors.equals(l.tensors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, fileSize, tensors) * 31 + Arrays.hashCode(skeleton);
    }

    @Override
    public String toString() {
        return "CheckpointLayout[" + format + ", " + fileSize + " bytes, skeleton " + skeleton.length + " bytes, "
                + tensors.size() + " tensors]";
    }
}
