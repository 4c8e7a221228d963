package org.gittheta.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/** Picks the checkpoint format of a file by its content ({@link #detect}), never by its name. */
public final class Formats {
    /** How many leading bytes {@link #detect} wants (fewer if the file is shorter): a zip local header and name. */
    public static final int DETECT_BYTES = 30 + 0xFFFF;

    private static final List<CheckpointFormat> ALL =
            List.of(SafetensorsFormat.INSTANCE, TorchZipFormat.INSTANCE, GgufFormat.INSTANCE);

    /** {@code \x80\x02\x8a\x0a} then torch's legacy magic number 0x1950a86a20f9469cfc6c, little-endian. */
    private static final byte[] LEGACY_TORCH_MAGIC = {
        (byte) 0x80,
        0x02,
        (byte) 0x8a,
        0x0a,
        0x6c,
        (byte) 0xfc,
        (byte) 0x9c,
        0x46,
        (byte) 0xf9,
        0x20,
        0x6a,
        (byte) 0xa8,
        0x50,
        0x19
    };

    private Formats() {}

    /** The format a manifest names. */
    public static Optional<CheckpointFormat> byName(String name) {
        if (name.equals(OpaqueFormat.INSTANCE.name())) return Optional.of(OpaqueFormat.INSTANCE);
        return ALL.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /**
     * A whole file's layout, its format found by content.
     * @param storedWhole why the file is not split into parameters (its layout is then {@link OpaqueFormat}'s)
     */
    public record Split(CheckpointLayout layout, Optional<String> storedWhole) {}

    /**
     * Splits a whole file by its content: a file no format claims, or one whose pickle is not a state dict, is
     * stored whole; a file a format claims but that is broken is refused.
     * @throws BadCheckpointException when a format claims the file and finds it malformed
     */
    public static Split split(String file, MemorySegment content) throws BadCheckpointException {
        MemorySegment head = content.asSlice(0, Math.min(content.byteSize(), DETECT_BYTES));
        Optional<CheckpointFormat> format = detect(head);
        if (format.isEmpty()) return whole(content, notSplitBecause(head));
        try {
            return new Split(format.get().read(file, content), Optional.empty());
        } catch (NotAStateDictException e) {
            return whole(content, e.reason());
        }
    }

    /** Why a file no format claims is stored whole, from its first bytes. */
    public static String notSplitBecause(MemorySegment head) {
        return isLegacyTorch(head)
                ? "legacy PyTorch pickle (saved before torch 1.6), not unpickled"
                : "not a safetensors, PyTorch zip or GGUF checkpoint";
    }

    private static Split whole(MemorySegment content, String why) {
        return new Split(OpaqueFormat.INSTANCE.read("", content), Optional.of(why));
    }

    /**
     * The format of a file by its first bytes ({@link #DETECT_BYTES} of them, or the whole file if shorter),
     * whatever its name: safetensors (a little-endian u64 header length, then '{'), torch zip (a zip whose first
     * entry is {@code <name>/data.pkl}), GGUF (magic {@code GGUF}). Empty means: store the file whole. A detected file
     * may still be
     * refused by the format's {@code read}; {@link NotAStateDictException} from it also means: store it whole.
     */
    public static Optional<CheckpointFormat> detect(MemorySegment head) {
        if (looksLikeSafetensors(head)) return Optional.of(SafetensorsFormat.INSTANCE);
        if (TorchZipFormat.looksLikeTorchZip(head)) return Optional.of(TorchZipFormat.INSTANCE);
        if (head.byteSize() >= 4 && GgufFormat.hasMagic(head.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE))) {
            return Optional.of(GgufFormat.INSTANCE);
        }
        return Optional.empty();
    }

    /** Whether {@code head} starts a pre-1.6 PyTorch pickle checkpoint: not split, stored whole. */
    public static boolean isLegacyTorch(MemorySegment head) {
        if (head.byteSize() < LEGACY_TORCH_MAGIC.length) return false;
        return MemorySegment.mismatch(
                        head,
                        0,
                        LEGACY_TORCH_MAGIC.length,
                        MemorySegment.ofArray(LEGACY_TORCH_MAGIC),
                        0,
                        LEGACY_TORCH_MAGIC.length)
                < 0;
    }

    private static boolean looksLikeSafetensors(MemorySegment head) {
        if (head.byteSize() < 9) return false;
        long headerLength = head.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        return headerLength > 0
                && headerLength <= SafetensorsFormat.MAX_HEADER_LENGTH
                && head.get(ValueLayout.JAVA_BYTE, 8) == '{';
    }
}
