package org.gittheta.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Text from a checkpoint or manifest made safe to show on a terminal: a tensor name holding ESC could
 * otherwise recolour, move or retitle the user's terminal, and CR or a bidi override could make a message
 * lie about what it says. Escapes are for display only; they are not meant to be parsed back.
 */
public final class Printable {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Printable() {}

    /**
     * {@code text} with C0 controls, DEL and C1 controls written {@code \xHH}, and unpaired surrogates, line
     * and paragraph separators and bidirectional overrides written <code>&#92;u{HHHH}</code>; everything else as is.
     */
    public static String escape(String text) {
        int first = firstUnsafe(text);
        if (first == text.length()) return text;
        StringBuilder b = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
                b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else if (isUnsafe(c)) {
                b.append("\\u{")
                        .append(Integer.toHexString(c).toUpperCase(Locale.ROOT))
                        .append('}');
            } else {
                b.appendCodePoint(c);
            }
        }
        return b.toString();
    }

    /** UTF-8 {@code bytes} as {@link #escape(String)} shows them, each byte that is not valid UTF-8 as {@code \xHH}. */
    public static String escape(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        StringBuilder b = new StringBuilder(bytes.length);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            b.append(escape(out.flip().toString()));
            out.clear();
            if (!r.isError()) break;
            for (int k = 0; k < r.length(); k++) {
                int x = in.get() & 0xff;
                b.append("\\x").append(HEX[x >> 4]).append(HEX[x & 0xf]);
            }
        }
        return b.toString();
    }

    private static int firstUnsafe(String text) {
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (c < 0x20 || c >= 0x7f && c <= 0x9f || isUnsafe(c)) return i;
            i += Character.charCount(c);
        }
        return text.length();
    }

    /** Code points other than controls that change how the surrounding text displays. */
    private static boolean isUnsafe(int c) {
        return c >= 0xd800 && c <= 0xdfff // a lone surrogate (codePointAt returns it when unpaired)
                || c == 0x2028
                || c == 0x2029 // line and paragraph separators
                || c >= 0x202a && c <= 0x202e
                || c >= 0x2066 && c <= 0x2069 // bidi embeddings, overrides, isolates
                || c == 0x200e
                || c == 0x200f
                || c == 0x061c; // bidi marks
    }
}
