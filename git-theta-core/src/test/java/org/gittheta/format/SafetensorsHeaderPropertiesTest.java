package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.gittheta.testdata.TestCheckpoints;

/**
 * Headers built from hostile parts (dtype strings with control characters, dimensions and offsets that are
 * negative, huge, fractional or not numbers, missing or repeated keys) give a BadCheckpointException with a
 * one-line printable message, or a layout that accounts for every byte of the file.
 */
class SafetensorsHeaderPropertiesTest {
    static final int TRIES = 1_000;

    @Property(tries = TRIES)
    void hostileHeadersAreReadOrRefused(@ForAll("headers") String header, @ForAll @IntRange(max = 64) int dataLength) {
        byte[] file = TestCheckpoints.safetensorsWithHeader(header, new byte[dataLength]);
        try {
            CheckpointLayout layout = SafetensorsFormat.INSTANCE.read("h.safetensors", MemorySegment.ofArray(file));
            assertThat(layout.fileSize()).isEqualTo(file.length);
        } catch (BadCheckpointException e) {
            assertThat(e.getMessage()).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
        }
    }

    @Provide
    Arbitrary<String> headers() {
        return entry().list().ofMaxSize(4).map(entries -> "{" + String.join(",", entries) + "}");
    }

    private static Arbitrary<String> entry() {
        Arbitrary<String> name = Arbitraries.oneOf(
                Arbitraries.of("w", "b", "__metadata__", "\\u001b]0;x\\u0007", "w\\r"),
                Arbitraries.strings().ofMaxLength(6).map(SafetensorsHeaderPropertiesTest::quoted));
        Arbitrary<String> field = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("dtype"), dtype()).as(SafetensorsHeaderPropertiesTest::member),
                Combinators.combine(Arbitraries.of("shape", "data_offsets"), numbers())
                        .as(SafetensorsHeaderPropertiesTest::member),
                Arbitraries.of("\"x\":1", "\"dtype\":5", "\"shape\":{}", "\"format\":\"pt\""));
        Arbitrary<String> body = Arbitraries.oneOf(
                field.list().ofMaxSize(4).map(f -> "{" + String.join(",", f) + "}"),
                Arbitraries.of("null", "[]", "\"s\"", "{\"k\":\"v\"}", "{\"k\":1}"));
        return Combinators.combine(name, body).as((n, b) -> (n.startsWith("\"") ? n : "\"" + n + "\"") + ":" + b);
    }

    private static Arbitrary<String> dtype() {
        return Arbitraries.oneOf(
                Arbitraries.of("\"F32\"", "\"BF16\"", "\"F4\"", "\"f32\"", "\"\\u001b[2JF32\"", "\"F32\\u0007\""),
                Arbitraries.strings().ofMaxLength(5).map(SafetensorsHeaderPropertiesTest::quoted));
    }

    private static Arbitrary<String> numbers() {
        Arbitrary<String> number = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 40).map(String::valueOf),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.of(
                        "18446744073709551616",
                        "9223372036854775807",
                        "4611686018427387904",
                        "-0",
                        "1.5",
                        "1e3",
                        "null",
                        "\"2\"",
                        "[]",
                        "99999999999999999999999999999999"));
        return number.list().ofMaxSize(3).map(n -> "[" + String.join(",", n) + "]");
    }

    private static String member(String key, String value) {
        return "\"" + key + "\":" + value;
    }

    /** Any string as a JSON string literal, control characters as \\u escapes. */
    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == '"' || c == '\\') b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
