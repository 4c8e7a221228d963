package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PktLineTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A packet framed by hand, independently of {@link PktLineWriter}. */
    private static String pkt(String payload) {
        return String.format("%04x", payload.length() + 4) + payload;
    }

    private static PktLineReader reader(String wire) {
        return new PktLineReader(new ByteArrayInputStream(ascii(wire)));
    }

    private static byte[] content(byte[] payload) throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        try (OutputStream out = new PktLineWriter(wire).contentStream()) {
            out.write(payload);
        }
        return wire.toByteArray();
    }

    @Nested
    class Writing {
        @Test
        void textLineGetsNewlineAndLength() throws IOException {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            PktLineWriter writer = new PktLineWriter(wire);
            writer.writeText("version=2");
            writer.flush();
            assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("000eversion=2\n0000");
        }

        @Test
        void emptyContentIsJustFlush() throws IOException {
            assertThat(new String(content(new byte[0]), StandardCharsets.US_ASCII))
                    .isEqualTo("0000");
        }

        @Test
        void maximalPayloadFitsOnePacket() throws IOException {
            byte[] wire = content(new byte[65516]);
            assertThat(wire).hasSize(65520 + 4);
            assertThat(new String(wire, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("fff0");
            assertThat(new String(wire, 65520, 4, StandardCharsets.US_ASCII)).isEqualTo("0000");
        }

        @Test
        void oneByteMoreSplitsIntoTwoPackets() throws IOException {
            byte[] wire = content(new byte[65517]);
            assertThat(wire).hasSize(65520 + 5 + 4);
            assertThat(new String(wire, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("fff0");
            assertThat(new String(wire, 65520, 4, StandardCharsets.US_ASCII)).isEqualTo("0005");
            assertThat(new String(wire, 65525, 4, StandardCharsets.US_ASCII)).isEqualTo("0000");
        }

        @Test
        void closingContentTwiceWritesOneFlush() throws IOException {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            OutputStream out = new PktLineWriter(wire).contentStream();
            out.write('x');
            out.close();
            out.close();
            assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo("0005x0000");
        }

        @Test
        void overlongTextIsRefused() {
            PktLineWriter writer = new PktLineWriter(OutputStream.nullOutputStream());
            assertThatThrownBy(() -> writer.writeText("x".repeat(65516))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Reading {
        @Test
        void textWithoutNewlineAndNullAtFlush() throws IOException {
            PktLineReader r = reader("0016git-filter-client\n000dversion=20000");
            assertThat(r.readText()).isEqualTo("git-filter-client");
            assertThat(r.readText()).isEqualTo("version=2");
            assertThat(r.readText()).isNull();
            assertThat(r.atEnd()).isTrue();
        }

        @Test
        void textListStopsAtFlush() throws IOException {
            PktLineReader r = reader(pkt("command=smudge\n") + pkt("ref=x\n") + "00000000");
            assertThat(r.readTextList()).containsExactly("command=smudge", "ref=x");
            assertThat(r.readTextList()).isEmpty();
        }

        @Test
        void contentOfSeveralPacketsEndsAtFlush() throws IOException {
            PktLineReader r = reader("0007abc0006de00000008next");
            assertThat(r.contentStream().readAllBytes()).isEqualTo(ascii("abcde"));
            assertThat(r.readText()).isEqualTo("next");
        }

        @Test
        void emptyContent() throws IOException {
            InputStream in = reader("0000").contentStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(new byte[8])).isEqualTo(-1);
        }

        @Test
        void maximalPacketAndSplitPacketRoundTrip() throws IOException {
            for (int size : new int[] {65516, 65517, 3 * 65516 + 1}) {
                byte[] payload = new byte[size];
                Arrays.fill(payload, (byte) 7);
                payload[size - 1] = 9;
                PktLineReader r = new PktLineReader(new ByteArrayInputStream(content(payload)));
                assertThat(r.contentStream().readAllBytes()).isEqualTo(payload);
                assertThat(r.atEnd()).isTrue();
            }
        }

        /** The clean reads a tensor's bytes straight into its memory, across packet boundaries. */
        @Test
        void contentReadIntoMemoryAcrossPacketsRoundTripsAndATruncatedPacketFails() throws IOException {
            byte[] payload = new byte[3 * 65516 + 5];
            new Random(3).nextBytes(payload);
            PktLineReader r = new PktLineReader(new ByteArrayInputStream(content(payload)));
            PacketInputStream in = r.contentPackets();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment values = arena.allocate(payload.length + 10);
                long at = 0;
                for (int n; (n = in.read(values.asSlice(at, Math.min(100_000, values.byteSize() - at)))) > 0; ) at += n;
                assertThat(at).isEqualTo(payload.length);
                assertThat(values.asSlice(0, at).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(payload);
                assertThat(in.finished()).isTrue();
                assertThat(r.atEnd()).isTrue();

                byte[] cut = Arrays.copyOf(content(payload), 70_000);
                PacketInputStream truncated = new PktLineReader(new ByteArrayInputStream(cut)).contentPackets();
                assertThatThrownBy(() -> {
                            long got = 0;
                            for (int n; (n = truncated.read(values.asSlice(got))) >= 0; ) got += n;
                        })
                        .isInstanceOf(EOFException.class)
                        .hasMessageContaining("truncated pkt-line");
            }
        }

        @Test
        void drainSkipsUnreadContent() throws IOException {
            PktLineReader r = reader("0007abc0006de00000008next");
            PacketInputStream in = r.contentPackets();
            assertThat(in.read()).isEqualTo('a');
            in.drain();
            assertThat(in.finished()).isTrue();
            assertThat(r.readText()).isEqualTo("next");
        }

        @Test
        void nonHexLengthIsRejected() {
            assertThatThrownBy(() -> reader("00 3abc").readText())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("invalid pkt-line length header '00 3'");
        }

        @Test
        void reservedShortLengthsAreRejected() {
            for (String header : List.of("0001", "0002", "0003")) {
                assertThatThrownBy(() -> reader(header + "xyz").readText())
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("invalid pkt-line length")
                        .hasMessageContaining(header);
            }
        }

        @Test
        void lengthAboveMaximumIsRejected() {
            assertThatThrownBy(() -> reader("fff1").contentStream().read())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("invalid pkt-line length 65521");
        }

        @Test
        void truncatedPacketAtEndOfStream() {
            assertThatThrownBy(() -> reader("000aabc").readText())
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("truncated pkt-line");
            assertThatThrownBy(() -> reader("000aabc").contentStream().readAllBytes())
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("truncated pkt-line");
        }

        @Test
        void truncatedHeaderAndMissingFlush() {
            assertThatThrownBy(() -> reader("00").readText())
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("inside a packet header");
            assertThatThrownBy(() -> reader("0005x").contentStream().readAllBytes())
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("where a packet was expected");
        }

        @Test
        void brokenFramingKeepsFailing() throws IOException {
            PacketInputStream in = reader("zzzz0000").contentPackets();
            assertThatThrownBy(in::read).hasMessageContaining("'zzzz'");
            assertThatThrownBy(in::drain).hasMessageContaining("'zzzz'");
        }
    }

    @Property(tries = 200)
    void contentRoundTripsWhateverTheWriteSizes(
            @ForAll @Size(max = 200_000) byte[] payload, @ForAll @IntRange(min = 1, max = 70_000) int chunk)
            throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        PktLineWriter writer = new PktLineWriter(wire);
        try (OutputStream out = writer.contentStream()) {
            for (int off = 0; off < payload.length; off += chunk)
                out.write(payload, off, Math.min(chunk, payload.length - off));
        }
        writer.writeText("after");
        writer.flush();
        PktLineReader r = new PktLineReader(new ByteArrayInputStream(wire.toByteArray()));
        InputStream in = r.contentStream();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        byte[] buf = new byte[chunk];
        for (int n; (n = in.read(buf)) > 0; ) back.write(buf, 0, n);
        assertThat(back.toByteArray()).isEqualTo(payload);
        assertThat(r.readText()).isEqualTo("after");
    }
}
