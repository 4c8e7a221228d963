package org.gittheta.filter;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Larger pipes between Git and the filter. A pipe holds 64 KiB by default, so a gigabyte crosses it in 16,384 turns of
 * the writer filling it and the reader emptying it, each a wait and a wake-up on both sides; Linux lets either end
 * ask for up to {@code /proc/sys/fs/pipe-max-size} (1 MiB by default) with {@code fcntl(F_SETPIPE_SZ)}.
 */
public final class PipeCapacity {
    /** {@code F_SETPIPE_SZ}: {@code F_LINUX_SPECIFIC_BASE + 7}, the same on every Linux architecture. */
    private static final int F_SETPIPE_SZ = 1031;

    private static final int WANTED = 1 << 20;

    private static final Optional<MethodHandle> FCNTL = fcntl();

    private PipeCapacity() {}

    /**
     * Asks for a 1 MiB buffer on descriptor {@code fd} where it is a pipe; anything else (a file, a terminal, a
     * system without the call, a limit set lower) keeps what it has.
     */
    public static void enlarge(int fd) {
        if (FCNTL.isEmpty()) return;
        try {
            int ignored = (int) FCNTL.get().invokeExact(fd, F_SETPIPE_SZ, WANTED);
        } catch (Throwable t) {
            throw new IllegalStateException("calling the C library failed", t);
        }
    }

    private static Optional<MethodHandle> fcntl() {
        if (!System.getProperty("os.name").equals("Linux")) return Optional.empty();
        try {
            Linker linker = Linker.nativeLinker();
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            return linker.defaultLookup()
                    .find("fcntl")
                    .map(f -> linker.downcallHandle(
                            f, FunctionDescriptor.of(i, i, i, i), Linker.Option.firstVariadicArg(2)));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty(); // no native access: the pipes keep their size
        }
    }
}
