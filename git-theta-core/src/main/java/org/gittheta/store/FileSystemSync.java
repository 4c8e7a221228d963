package org.gittheta.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * Makes many files durable at once. {@code syncfs(2)} flushes everything written to one file system, so thousands of
 * small objects cost one call instead of one fsync each (each fsync is a journal commit). Where the C library has no
 * {@code syncfs} (not Linux), each file is forced on its own.
 */
final class FileSystemSync {
    /** {@code O_RDONLY | O_CLOEXEC}, the same on every Linux architecture. */
    private static final int OPEN_FLAGS = 0x80000;

    private static final Optional<Native> NATIVE = Native.load();

    private FileSystemSync() {}

    /** Makes {@code files}, all in the file system of {@code dir}, durable; a file removed meanwhile is skipped. */
    static void sync(Path dir, List<Path> files) throws IOException {
        if (files.isEmpty()) return;
        if (NATIVE.isPresent()) {
            NATIVE.get().syncfs(dir);
            return;
        }
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                ch.force(false);
            } catch (NoSuchFileException e) {
                // collected meanwhile: nothing to make durable
            }
        }
    }

    private record Native(
            MethodHandle open, MethodHandle syncfs, MethodHandle close, StructLayout state, VarHandle errno) {
        static Optional<Native> load() {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> open = libc.find("open");
                Optional<MemorySegment> syncfs = libc.find("syncfs");
                Optional<MemorySegment> close = libc.find("close");
                if (open.isEmpty() || syncfs.isEmpty() || close.isEmpty()) return Optional.empty();
                StructLayout state = Linker.Option.captureStateLayout();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                ValueLayout.OfInt i = ValueLayout.JAVA_INT;
                return Optional.of(new Native(
                        linker.downcallHandle(open.get(), FunctionDescriptor.of(i, ValueLayout.ADDRESS, i), errno),
                        linker.downcallHandle(syncfs.get(), FunctionDescriptor.of(i, i), errno),
                        linker.downcallHandle(close.get(), FunctionDescriptor.of(i, i)),
                        state,
                        state.varHandle(MemoryLayout.PathElement.groupElement("errno"))));
            } catch (RuntimeException | LinkageError e) {
                return Optional.empty(); // no native access: files are forced one by one
            }
        }

        void syncfs(Path dir) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment callState = arena.allocate(state);
                int fd = (int) open.invokeExact(callState, arena.allocateFrom(dir.toString()), OPEN_FLAGS);
                if (fd < 0) throw failure("open", dir, callState);
                try {
                    if ((int) syncfs.invokeExact(callState, fd) != 0) throw failure("syncfs", dir, callState);
                } finally {
                    int closed = (int) close.invokeExact(fd);
                    assert closed == 0 : "close of a read-only descriptor";
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("calling the C library failed", t);
            }
        }

        private IOException failure(String call, Path dir, MemorySegment callState) {
            int code = (int) errno.get(callState, 0L);
            return new IOException(
                    "cannot make the objects in " + dir + " durable: " + call + " failed (errno " + code + ")");
        }
    }
}
