package org.gittheta.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Zeroed native memory for tensor values, from the C library's {@code calloc}: {@link Arena#allocate} zeroes its
 * blocks with a store loop in Java, touching every page of a block that the kernel had just mapped as zero pages,
 * which cost a merge of 1 GiB checkpoints ~7 % of its time (a profile's {@code SegmentFactories.initNativeMemory});
 * {@code calloc} knows those pages are zero. Without native access (a JVM started without
 * {@code --enable-native-access}) it falls back to the arena.
 */
public final class NativeMemory {
    private NativeMemory() {}

    private static final Optional<Handles> HANDLES = Handles.load();

    private record Handles(MethodHandle calloc, MethodHandle free) {
        static Optional<Handles> load() {
            if (!NativeMemory.class.getModule().isNativeAccessEnabled()) return Optional.empty();
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                Optional<MemorySegment> calloc = libc.find("calloc");
                Optional<MemorySegment> free = libc.find("free");
                if (calloc.isEmpty() || free.isEmpty()) return Optional.empty();
                FunctionDescriptor callocType =
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
                return Optional.of(new Handles(
                        linker.downcallHandle(calloc.get(), callocType),
                        linker.downcallHandle(free.get(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS))));
            } catch (RuntimeException | LinkageError e) {
                return Optional.empty();
            }
        }
    }

    /** {@code bytes} zeroed bytes (at least 16-byte aligned), freed when {@code arena} closes. */
    public static MemorySegment zeroed(long bytes, Arena arena) {
        if (HANDLES.isEmpty() || bytes == 0) return arena.allocate(bytes, 16);
        MemorySegment block;
        try {
            block = (MemorySegment) HANDLES.get().calloc().invokeExact(1L, bytes);
        } catch (Throwable t) {
            throw new IllegalStateException("calloc failed", t);
        }
        if (block.equals(MemorySegment.NULL)) throw new OutOfMemoryError("no native memory for " + bytes + " bytes");
        return block.reinterpret(bytes, arena, NativeMemory::free);
    }

    /** Whether blocks come from {@code calloc} (else from the arena). */
    static boolean usesCalloc() {
        return HANDLES.isPresent();
    }

    private static void free(MemorySegment block) {
        try {
            HANDLES.orElseThrow().free().invokeExact(block);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
