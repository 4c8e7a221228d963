package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.gittheta.fuzz.FuzzLoop;
import org.gittheta.fuzz.Mutator;
import org.junit.jupiter.api.Test;

/**
 * Mutated and random pkt-line streams, read as the filter server reads them (text lists, then content read
 * byte by byte, in blocks, skipped or drained), end cleanly or give an IOException naming pkt-line framing.
 */
class PktLineFuzzTest {
    static final int MUTATED_STREAMS = 4_000;
    static final int RANDOM_STREAMS = 2_000;

    /** Requests as git sends them: key=value lists, each followed by content of a few packets (one of them maximal). */
    static List<byte[]> validStreams() throws IOException {
        Random random = new Random(41);
        List<byte[]> streams = new ArrayList<>();
        for (int s = 0; s < 12; s++) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            PktLineWriter writer = new PktLineWriter(wire);
            for (int r = random.nextInt(3); r >= 0; r--) {
                writer.writeText("command=" + (r % 2 == 0 ? "clean" : "smudge"));
                writer.writeText("pathname=model " + s + ".safetensors");
                writer.flush();
                byte[] content = new byte[s == 5 ? PktLine.MAX_PAYLOAD + 10 : random.nextInt(200)];
                random.nextBytes(content);
                try (OutputStream out = writer.contentStream()) {
                    out.write(content);
                }
            }
            streams.add(wire.toByteArray());
        }
        return streams;
    }

    /** Reads the whole stream the way the server does, varying how content is consumed. */
    private static void readAll(byte[] wire, Random random) throws IOException {
        PktLineReader reader = new PktLineReader(new ByteArrayInputStream(wire));
        while (!reader.atEnd()) {
            reader.readTextList();
            PacketInputStream content = reader.contentPackets();
            switch (random.nextInt(4)) {
                case 0 -> content.readAllBytes();
                case 1 -> {
                    while (content.read() >= 0) assertThat(content.available()).isNotNegative();
                }
                case 2 -> content.skip(random.nextInt(100_000));
                default -> {}
            }
            content.drain();
            assertThat(content.finished()).isTrue();
            assertThat(content.read()).isEqualTo(-1);
        }
    }

    private static void check(List<byte[]> corpus, int inputs, long seed, boolean noise) {
        Mutator mutator = new Mutator(seed);
        Random random = new Random(seed);
        FuzzLoop.run(
                inputs, () -> noise ? mutator.noise(corpus, 100) : mutator.mutate(corpus), IOException.class, wire -> {
                    try {
                        readAll(wire, random);
                    } catch (IOException e) {
                        assertThat(e.getMessage()).contains("pkt-line");
                        throw e;
                    }
                });
    }

    @Test
    void aHeaderOfControlBytesIsQuotedEscaped() {
        PktLineReader reader = new PktLineReader(new ByteArrayInputStream(new byte[] {0x1b, '[', '2', (byte) 0xff}));
        org.assertj.core.api.Assertions.assertThatThrownBy(reader::readText)
                .hasMessage("invalid pkt-line length header '\\x1b[2\\xff'");
    }

    @Test
    void validStreamsAreReadToTheEnd() throws IOException {
        Random random = new Random(42);
        for (byte[] wire : validStreams()) readAll(wire, random);
    }

    @Test
    void mutatedStreamsAreReadOrRefused() throws IOException {
        check(validStreams(), MUTATED_STREAMS, 43, false);
    }

    @Test
    void randomStreamsAreReadOrRefused() throws IOException {
        check(validStreams(), RANDOM_STREAMS, 44, true);
    }
}
