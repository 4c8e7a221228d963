package org.gittheta.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FilterProcessServerTest {

    /** Uppercases on clean, lowercases on smudge; some path names make it misbehave. */
    static final class CaseHandler implements FilterHandler {
        @Override
        public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
            transform(pathname, content, out, true);
        }

        @Override
        public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
            transform(pathname, content, out, false);
        }

        private static void transform(String pathname, InputStream content, OutputStream out, boolean upper)
                throws IOException {
            if (pathname.startsWith("early"))
                throw new FilterException("cannot filter " + pathname + ":\nrefused early");
            if (pathname.startsWith("bug")) throw new IllegalStateException("boom");
            if (pathname.startsWith("stream")) {
                // Writes while still reading, so output must wait (spilled to disk) until the request ends.
                byte[] buf = new byte[1000];
                for (int n; (n = content.read(buf)) > 0; ) {
                    String chunk = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    out.write(
                            (upper ? chunk.toUpperCase() : chunk.toLowerCase()).getBytes(StandardCharsets.ISO_8859_1));
                }
                if (pathname.contains("fail")) throw new FilterException("cannot filter " + pathname);
                return;
            }
            String text = new String(content.readAllBytes(), StandardCharsets.ISO_8859_1);
            out.write((upper ? text.toUpperCase() : text.toLowerCase()).getBytes(StandardCharsets.ISO_8859_1));
            if (pathname.startsWith("late")) throw new FilterException("cannot filter " + pathname + ": refused late");
        }
    }

    /** Git's side of a session, scripted in advance. */
    private static final class Script {
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        final PktLineWriter git = new PktLineWriter(wire);

        Script handshake(String... capabilities) throws IOException {
            git.writeText("git-filter-client");
            git.writeText("version=2");
            git.flush();
            for (String c : capabilities) git.writeText(c);
            git.flush();
            return this;
        }

        Script request(String command, String pathname, byte[] content) throws IOException {
            git.writeText("command=" + command);
            git.writeText("pathname=" + pathname);
            git.writeText("blob=0123456789abcdef0123456789abcdef01234567");
            git.flush();
            try (OutputStream out = git.contentStream()) {
                out.write(content);
            }
            return this;
        }

        Script request(String command, String pathname, String content) throws IOException {
            return request(command, pathname, content.getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    /** What the server sent in reply to one request. */
    record Reply(List<String> status, byte[] content, List<String> trailer) {
        String text() {
            return new String(content, StandardCharsets.ISO_8859_1);
        }
    }

    private final List<String> errors = new ArrayList<>();

    private PktLineReader run(Script script) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FilterProcessServer(
                        new ByteArrayInputStream(script.wire.toByteArray()), out, new CaseHandler(), errors::add)
                .serve();
        PktLineReader reply = new PktLineReader(new ByteArrayInputStream(out.toByteArray()));
        assertThat(reply.readText()).isEqualTo("git-filter-server");
        assertThat(reply.readTextList()).containsExactly("version=2");
        return reply;
    }

    private static Reply reply(PktLineReader in) throws IOException {
        List<String> status = in.readTextList();
        if (!status.equals(List.of("status=success"))) return new Reply(status, new byte[0], List.of());
        return new Reply(status, in.contentStream().readAllBytes(), in.readTextList());
    }

    @Nested
    class Handshake {
        @Test
        void answersOnlyOfferedCapabilities() throws IOException {
            PktLineReader in = run(new Script().handshake("capability=smudge", "capability=delay"));
            assertThat(in.readTextList()).containsExactly("capability=smudge");
            assertThat(in.atEnd()).isTrue();
        }

        @Test
        void acceptsAVersionListIncluding2() throws IOException {
            Script s = new Script();
            s.git.writeText("git-filter-client");
            s.git.writeText("version=2");
            s.git.writeText("version=3");
            s.git.flush();
            s.git.writeText("capability=clean");
            s.git.flush();
            assertThat(run(s).readTextList()).containsExactly("capability=clean");
        }

        @Test
        void rejectsWrongWelcome() throws IOException {
            Script s = new Script();
            s.git.writeText("git-lfs-client");
            s.git.flush();
            assertThatThrownBy(() -> run(s)).isInstanceOf(IOException.class).hasMessageContaining("'git-lfs-client'");
        }

        @Test
        void rejectsClientWithoutVersion2() throws IOException {
            Script s = new Script();
            s.git.writeText("git-filter-client");
            s.git.writeText("version=1");
            s.git.flush();
            assertThatThrownBy(() -> run(s)).isInstanceOf(IOException.class).hasMessageContaining("[version=1]");
        }
    }

    @Nested
    class Requests {
        @Test
        void cleanAndSmudgeStreamTheResult() throws IOException {
            byte[] big = new byte[300_000];
            Arrays.fill(big, (byte) 'q');
            PktLineReader in = run(new Script()
                    .handshake("capability=clean", "capability=smudge")
                    .request("clean", "a.txt", "Hello")
                    .request("smudge", "a.txt", "HeLLo")
                    .request("clean", "empty.txt", "")
                    .request("clean", "big.txt", big));
            in.readTextList();
            assertThat(reply(in)).satisfies(r -> {
                assertThat(r.status()).containsExactly("status=success");
                assertThat(r.text()).isEqualTo("HELLO");
                assertThat(r.trailer()).isEmpty();
            });
            assertThat(reply(in).text()).isEqualTo("hello");
            assertThat(reply(in)).satisfies(r -> {
                assertThat(r.status()).containsExactly("status=success");
                assertThat(r.content()).isEmpty();
                assertThat(r.trailer()).isEmpty();
            });
            assertThat(reply(in).text()).isEqualTo("Q".repeat(big.length));
            assertThat(in.atEnd()).isTrue();
            assertThat(errors).isEmpty();
        }

        @Test
        void failuresAreAnsweredAndServingContinues() throws IOException {
            byte[] big = new byte[100_000];
            Arrays.fill(big, (byte) 'z');
            PktLineReader in = run(new Script()
                    .handshake("capability=clean", "capability=smudge")
                    .request("foo", "x.txt", "ignored content")
                    .request("clean", "early.txt", big)
                    .request("clean", "late-small.txt", "abc")
                    .request("clean", "late-big.txt", big)
                    .request("smudge", "bug.txt", "xyz")
                    .request("clean", "ok.txt", "still served"));
            in.readTextList();
            assertThat(reply(in).status()).as("unknown command").containsExactly("status=error");
            assertThat(reply(in).status()).as("error before output").containsExactly("status=error");
            assertThat(reply(in).status()).as("error with output still held").containsExactly("status=error");
            assertThat(reply(in)).as("error after content started").satisfies(r -> {
                assertThat(r.status()).containsExactly("status=success");
                assertThat(r.text()).isEqualTo("Z".repeat(big.length));
                assertThat(r.trailer()).containsExactly("status=error");
            });
            assertThat(reply(in).status()).as("bug").containsExactly("status=error");
            assertThat(reply(in).text()).isEqualTo("STILL SERVED");
            assertThat(in.atEnd()).isTrue();
            assertThat(errors)
                    .containsExactly(
                            "unknown filter command 'foo' for x.txt",
                            "cannot filter early.txt: refused early",
                            "cannot filter late-small.txt: refused late",
                            "cannot filter late-big.txt: refused late",
                            "bug.txt: java.lang.IllegalStateException: boom");
        }

        @Test
        void outputWrittenWhileReadingArrivesWholeAndInOrder() throws IOException {
            byte[] big = new byte[500_000];
            for (int i = 0; i < big.length; i++) big[i] = (byte) ('a' + i % 26);
            PktLineReader in = run(new Script()
                    .handshake("capability=clean")
                    .request("clean", "stream.txt", big)
                    .request("clean", "stream-fail.txt", big)
                    .request("clean", "stream-small.txt", "tiny"));
            in.readTextList();
            assertThat(reply(in).text()).isEqualTo(new String(big, StandardCharsets.ISO_8859_1).toUpperCase());
            assertThat(reply(in).status())
                    .as("failed before anything was sent, though much was written")
                    .containsExactly("status=error");
            assertThat(reply(in).text()).isEqualTo("TINY");
            assertThat(errors).containsExactly("cannot filter stream-fail.txt");
        }

        @Test
        void brokenFramingInsideContentEndsTheSession() throws IOException {
            Script s = new Script().handshake("capability=clean");
            s.git.writeText("command=clean");
            s.git.writeText("pathname=a.txt");
            s.git.flush();
            s.wire.write("0005xzzzz".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> run(s)).isInstanceOf(IOException.class).hasMessageContaining("'zzzz'");
            assertThat(errors).singleElement().asString().contains("a.txt", "'zzzz'");
        }

        @Test
        void requestCutOffByEndOfStreamIsAnError() throws IOException {
            Script s = new Script().handshake("capability=clean");
            s.git.writeText("command=clean");
            s.git.flush();
            assertThatThrownBy(() -> run(s)).isInstanceOf(IOException.class);
        }
    }
}
