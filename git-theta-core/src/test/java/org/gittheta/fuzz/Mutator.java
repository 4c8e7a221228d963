package org.gittheta.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Seeded byte-level mutations of valid inputs, for fuzzing parsers: bit flips, boundary bytes, truncations,
 * insertions, deletions, duplicated ranges, splices of two valid inputs, huge little-endian and decimal length
 * fields, and tokens that parsers of text tend to mishandle. The same seed gives the same inputs.
 */
public final class Mutator {
    private static final byte[] BOUNDARY_BYTES = {0, 1, 0x7f, (byte) 0x80, (byte) 0xff, '\r', '\n', 0x1b, '\\', '"', '/'
    };
    private static final long[] HUGE = {
        Long.MAX_VALUE, -1, Long.MIN_VALUE, 1L << 31, (1L << 32) - 1, 1L << 32, Integer.MAX_VALUE, 1L << 62, 100_000_001
    };
    private static final List<byte[]> TOKENS = List.of(
                    "99999999999999999999",
                    "-1",
                    "9223372036854775808",
                    "9223372036854775807",
                    "4294967296",
                    "0",
                    "\r\n",
                    "\r",
                    "..",
                    "../",
                    "/",
                    "\\x",
                    "\\",
                    "[",
                    "]",
                    ",",
                    ":",
                    "=",
                    " ",
                    "\n",
                    "\u001b[2J",
                    "\u0007",
                    "1e999",
                    "null",
                    "{",
                    "}",
                    "\"",
                    "\\u0000",
                    "\ud83d\ude00",
                    "[[[[[[[[",
                    "ffff",
                    "0000",
                    "0001",
                    "fff0",
                    "0004")
            .stream()
            .map(s -> s.getBytes(StandardCharsets.UTF_8))
            .toList();

    private final Random random;

    public Mutator(long seed) {
        this.random = new Random(seed);
    }

    public Random random() {
        return random;
    }

    /** One to four mutations of one of {@code corpus}, sometimes spliced with another. */
    public byte[] mutate(List<byte[]> corpus) {
        byte[] b = corpus.get(random.nextInt(corpus.size()));
        int rounds = 1 + random.nextInt(4);
        for (int i = 0; i < rounds; i++) b = mutateOnce(b, corpus);
        return b;
    }

    /** Random bytes of a random length up to {@code max}, half of the time after a valid input's first bytes. */
    public byte[] noise(List<byte[]> corpus, int max) {
        byte[] noise = new byte[random.nextInt(max + 1)];
        random.nextBytes(noise);
        if (random.nextBoolean()) return noise;
        byte[] valid = corpus.get(random.nextInt(corpus.size()));
        return concat(Arrays.copyOf(valid, random.nextInt(valid.length + 1)), noise);
    }

    private byte[] mutateOnce(byte[] b, List<byte[]> corpus) {
        int n = b.length;
        switch (random.nextInt(10)) {
            case 0 -> {
                if (n == 0) return b;
                byte[] c = b.clone();
                for (int k = 1 + random.nextInt(8); k > 0; k--) c[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
                return c;
            }
            case 1 -> {
                if (n == 0) return b;
                byte[] c = b.clone();
                c[random.nextInt(n)] = BOUNDARY_BYTES[random.nextInt(BOUNDARY_BYTES.length)];
                return c;
            }
            case 2 -> {
                return Arrays.copyOf(b, random.nextInt(n + 1));
            }
            case 3 -> {
                byte[] insert = new byte[1 + random.nextInt(16)];
                random.nextBytes(insert);
                return insertAt(b, random.nextInt(n + 1), insert);
            }
            case 4 -> {
                int at = random.nextInt(n + 1);
                int len = random.nextInt(n - at + 1);
                return concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + len, n));
            }
            case 5 -> {
                int at = random.nextInt(n + 1);
                int len = Math.min(n - at, random.nextInt(64));
                return insertAt(b, at, Arrays.copyOfRange(b, at, at + len));
            }
            case 6 -> {
                byte[] other = corpus.get(random.nextInt(corpus.size()));
                return concat(
                        Arrays.copyOf(b, random.nextInt(n + 1)),
                        Arrays.copyOfRange(other, random.nextInt(other.length + 1), other.length));
            }
            case 7 -> {
                if (n < 8) return b;
                byte[] c = b.clone();
                long v = HUGE[random.nextInt(HUGE.length)];
                int at = random.nextInt(n - 7);
                int width = random.nextBoolean() ? 8 : 4;
                for (int k = 0; k < width && at + k < n; k++) c[at + k] = (byte) (v >>> (8 * k));
                return c;
            }
            case 8 -> {
                return insertAt(b, random.nextInt(n + 1), TOKENS.get(random.nextInt(TOKENS.size())));
            }
            default -> {
                return replaceNumber(b);
            }
        }
    }

    /** Replaces a run of ASCII digits (a length, size, offset or dimension in text) with a token. */
    private byte[] replaceNumber(byte[] b) {
        if (b.length == 0) return b;
        int start = random.nextInt(b.length);
        while (start < b.length && !Character.isDigit(b[start])) start++;
        if (start == b.length) return b;
        int end = start;
        while (end < b.length && Character.isDigit(b[end])) end++;
        byte[] token = TOKENS.get(random.nextInt(TOKENS.size()));
        return concat(concat(Arrays.copyOf(b, start), token), Arrays.copyOfRange(b, end, b.length));
    }

    private static byte[] insertAt(byte[] b, int at, byte[] insert) {
        return concat(concat(Arrays.copyOf(b, at), insert), Arrays.copyOfRange(b, at, b.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** How a failing input is shown: hex, so that it can be pasted into a regression test. */
    public static String describe(byte[] input) {
        return input.length + " bytes: " + HexFormat.of().formatHex(input, 0, Math.min(input.length, 4096));
    }
}
