package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Both ends of a pipe get the larger buffer; what is not a pipe is left as it is. */
class PipeCapacityTest {
    private static final int F_GETPIPE_SZ = 1032;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static MethodHandle libc(String name, FunctionDescriptor f, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), f, options);
    }

    private static final MethodHandle PIPE = libc("pipe", FunctionDescriptor.of(INT, ValueLayout.ADDRESS));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle GET =
            libc("fcntl", FunctionDescriptor.of(INT, INT, INT), Linker.Option.firstVariadicArg(2));

    @Test
    void bothEndsOfAPipeHoldAMebibyte() throws Throwable {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "F_SETPIPE_SZ is Linux's");
        // readString reads a /proc file as its stat size says (0 bytes): by lines instead
        String max = Files.readAllLines(Path.of("/proc/sys/fs/pipe-max-size")).getFirst();
        assumeTrue(Long.parseLong(max.strip()) >= 1 << 20, "pipes may hold at most " + max + " bytes here");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            assertThat((int) PIPE.invokeExact(fds)).isZero();
            int read = fds.getAtIndex(ValueLayout.JAVA_INT, 0), write = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                assertThat((int) GET.invokeExact(read, F_GETPIPE_SZ)).isEqualTo(1 << 16);
                PipeCapacity.enlarge(read);
                assertThat((int) GET.invokeExact(read, F_GETPIPE_SZ)).isEqualTo(1 << 20);
                assertThat((int) GET.invokeExact(write, F_GETPIPE_SZ)).isEqualTo(1 << 20);
                PipeCapacity.enlarge(-1); // not a descriptor: left alone, without an error
            } finally {
                int a = (int) CLOSE.invokeExact(read), b = (int) CLOSE.invokeExact(write);
            }
        }
    }
}
