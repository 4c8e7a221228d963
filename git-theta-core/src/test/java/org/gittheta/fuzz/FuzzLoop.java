package org.gittheta.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Feeds a parser generated inputs and fails on the first one that makes it throw anything but its own
 * documented exception (a runtime exception, an OutOfMemoryError, ...), or a message that is empty, spans
 * lines or holds control characters; the whole batch must finish within a time limit, so a hang fails too.
 */
public final class FuzzLoop {
    /** Generous for a loaded 2-core machine: batches take a fraction of it. */
    public static final Duration BATCH_LIMIT = Duration.ofSeconds(30);

    private FuzzLoop() {}

    @FunctionalInterface
    public interface Parser {
        void parse(byte[] input) throws Exception;
    }

    public static void run(int inputs, Supplier<byte[]> source, Class<? extends Exception> expected, Parser parser) {
        assertTimeoutPreemptively(BATCH_LIMIT, () -> {
            for (int i = 0; i < inputs; i++) {
                byte[] input = source.get();
                try {
                    parser.parse(input);
                } catch (Throwable t) {
                    if (!expected.isInstance(t)) {
                        throw new AssertionError(
                                "input " + i + " threw " + t + "; input " + Mutator.describe(input), t);
                    }
                    String m = t.getMessage();
                    if (m == null || m.isBlank() || m.chars().anyMatch(c -> c < 0x20 || c >= 0x7f && c <= 0x9f)) {
                        throw new AssertionError(
                                "input " + i + ": unclear message '" + m + "'; input " + Mutator.describe(input), t);
                    }
                }
            }
        });
    }
}
