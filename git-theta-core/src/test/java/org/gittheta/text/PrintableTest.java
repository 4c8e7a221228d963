package org.gittheta.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void controlCharactersBecomeHexEscapes() {
        assertThat(Printable.escape("a\u001b[31mred\u0007\r\n\u007f\u0085b"))
                .isEqualTo("a\\x1b[31mred\\x07\\x0d\\x0a\\x7f\\x85b");
    }

    @Test
    void printableTextIncludingNonAsciiIsKept() {
        assertThat(Printable.escape("model.layers.0.weight ü 中 \\x41 🙂"))
                .isEqualTo("model.layers.0.weight ü 中 \\x41 🙂");
    }

    @Test
    void bidiOverridesSeparatorsAndLoneSurrogatesAreEscaped() {
        assertThat(Printable.escape("a\u202eb\u2028c\ud800d\u2066"))
                .isEqualTo("a\\u{202E}b\\u{2028}c\\u{D800}d\\u{2066}");
    }

    @Test
    void invalidUtf8BytesAreShownOneByOne() {
        byte[] bytes = {'o', 'k', (byte) 0xff, (byte) 0xc3, 0x1b, (byte) 0xc3, (byte) 0xbc};
        assertThat(Printable.escape(bytes)).isEqualTo("ok\\xff\\xc3\\x1bü");
    }

    @Property(tries = 300)
    void outputHasNoControlCharacters(@ForAll String text, @ForAll byte[] bytes) {
        for (String escaped : new String[] {Printable.escape(text), Printable.escape(bytes)}) {
            assertThat(escaped.codePoints()).noneMatch(c -> c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x202e);
            assertThat(Printable.escape(escaped)).isEqualTo(escaped);
        }
        assertThat(Printable.escape(text.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(Printable.escape(text.replaceAll("[\\ud800-\\udfff]", "?")));
    }
}
