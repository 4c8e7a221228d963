package org.gittheta.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated batch replies: whatever a server sends, decoding it ends in a list of the objects asked
 * about or in an {@link LfsProtocolException}, never an NPE, NumberFormatException, ClassCastException or OOM.
 */
class LfsJsonFuzzTest {
    /** {@code -Dgittheta.fuzzScale=100} for a long run; the default keeps the suite quick. */
    private static final int SCALE = Integer.getInteger("gittheta.fuzzScale", 1);

    static final int RANDOM_INPUTS = 5_000 * SCALE;
    static final int BYTE_MUTATIONS = 10_000 * SCALE;
    static final int TREE_MUTATIONS = 15_000 * SCALE;
    private static final URI URL = URI.create("http://127.0.0.1:1/repo.git/info/lfs/objects/batch");
    private static final JsonFactory JSON = new JsonFactory();

    /** JSON written as it is, for what a Java value cannot express (deep nesting, numbers beyond a long). */
    private record Raw(String json) {}

    private static final List<Object> NASTY = List.of(
            -1L,
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            0L,
            new Raw("92233720368547758070"),
            new Raw("1e309"),
            new Raw("-0.0"),
            1.5,
            "",
            "abc",
            "-1",
            "ZZZZ",
            "0".repeat(64),
            "g".repeat(64),
            "file:///etc/passwd",
            "http://",
            "http://[::1",
            "ftp://host/x",
            "//other-host/path",
            "http://h/\u0000\n",
            "javascript:alert(1)",
            " http://h/ ",
            true,
            false,
            new ArrayList<>(),
            new LinkedHashMap<>(),
            new Raw("[".repeat(5000) + "]".repeat(5000)),
            new Raw("{\"a\":".repeat(100) + "1" + "}".repeat(100)),
            "x".repeat(100_000),
            "0001-01-01T00:00:00Z",
            "2026-13-45T99:99:99Z",
            "not a date",
            "basic",
            "tus",
            Map.of("Host", "evil"),
            Map.of("X\nY", "v"),
            Map.of("Authorization", 5L),
            Map.of("code", "404"),
            Map.of("code", 404L, "message", List.of()));

    private final List<ObjectRef> asked = new ArrayList<>();

    LfsJsonFuzzTest() {
        for (int i = 0; i < 3; i++) {
            ObjectId id = ObjectId.fromDigest(ObjectStore.sha256().digest(new byte[] {(byte) i}));
            asked.add(new ObjectRef(id, 1000L * (i + 1)));
        }
    }

    private Map<String, Object> validReply() {
        List<Object> objects = new ArrayList<>();
        for (ObjectRef ref : asked) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("oid", ref.id().hex());
            o.put("size", ref.size());
            o.put("authenticated", true);
            Map<String, Object> header = new LinkedHashMap<>(Map.of("Authorization", "Bearer t", "X-Req", "1"));
            Map<String, Object> download = new LinkedHashMap<>();
            download.put("href", "https://cdn.example/objects/" + ref.id().hex());
            download.put("header", header);
            download.put("expires_in", 3600L);
            download.put("expires_at", "2030-01-01T00:00:00Z");
            o.put("actions", new LinkedHashMap<>(Map.of("download", download)));
            objects.add(o);
        }
        Map<String, Object> broken = new LinkedHashMap<>();
        broken.put("oid", asked.getLast().id().hex());
        broken.put("size", asked.getLast().size());
        broken.put("error", new LinkedHashMap<>(Map.of("code", 404L, "message", "Object does not exist")));
        objects.add(broken);
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("transfer", "basic");
        reply.put("objects", objects);
        reply.put("hash_algo", "sha256");
        return reply;
    }

    @Test
    void theValidReplyDecodes() throws IOException {
        List<LfsJson.BatchObject> objects = LfsJson.batchResponse(write(validReply()), URL, asked);
        assertThat(objects).hasSize(4);
        assertThat(objects.getFirst().actions().get("download").href()).hasHost("cdn.example");
        assertThat(objects.getLast().error())
                .hasValueSatisfying(e -> assertThat(e.code()).isEqualTo(404));
    }

    @Test
    void randomAndMutatedRepliesGiveOnlyOurOwnException() {
        SplittableRandom rnd = new SplittableRandom(11);
        byte[] valid = write(validReply());
        int[] outcomes = new int[2];
        int tried = 0;
        for (int i = 0; i < RANDOM_INPUTS; i++, tried++) decode(randomBytes(rnd), outcomes);
        for (int i = 0; i < BYTE_MUTATIONS; i++, tried++) decode(mutateBytes(valid, rnd), outcomes);
        for (int i = 0; i < TREE_MUTATIONS; i++, tried++) {
            Map<String, Object> reply = validReply();
            for (int m = 1 + rnd.nextInt(3); m > 0; m--) mutateTree(reply, rnd);
            decode(write(reply), outcomes);
        }
        assertThat(tried).isEqualTo(RANDOM_INPUTS + BYTE_MUTATIONS + TREE_MUTATIONS);
        assertThat(outcomes[0]).as("some mutated replies are still acceptable").isPositive();
        assertThat(outcomes[1]).as("and many are refused").isGreaterThan(tried / 2);
    }

    private void decode(byte[] input, int[] outcomes) {
        try {
            List<LfsJson.BatchObject> objects = LfsJson.batchResponse(input, URL, asked);
            for (LfsJson.BatchObject o : objects) {
                assertThat(asked).contains(o.ref());
                for (LfsJson.Action a : o.actions().values()) {
                    assertThat(a.href().getScheme()).matches("(?i)https?");
                    assertThat(a.href().getHost()).isNotNull();
                }
            }
            outcomes[0]++;
        } catch (LfsProtocolException e) {
            assertThat(e.getMessage())
                    .startsWith(URL + ": bad batch reply: ")
                    .doesNotContain("\n")
                    .hasSizeLessThan(1000);
            outcomes[1]++;
        } catch (Throwable t) {
            fail("decoding " + preview(input) + " threw " + t, t);
        }
    }

    private static byte[] randomBytes(SplittableRandom rnd) {
        byte[] b = new byte[rnd.nextInt(300)];
        if (rnd.nextBoolean()) {
            rnd.nextBytes(b);
        } else {
            byte[] alphabet = "{}[]:,\"0123456789-+.eE truefalsnl\\u".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < b.length; i++) b[i] = alphabet[rnd.nextInt(alphabet.length)];
        }
        return b;
    }

    private static byte[] mutateBytes(byte[] valid, SplittableRandom rnd) {
        byte[] b = valid.clone();
        for (int m = 1 + rnd.nextInt(5); m > 0; m--) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(4)) {
                case 0 -> b[at] = (byte) rnd.nextInt(256);
                case 1 -> b = java.util.Arrays.copyOf(b, Math.max(1, at)); // truncated
                case 2 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) "{}[]:,\"0-".charAt(rnd.nextInt(9));
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                default -> {
                    byte[] shorter = new byte[b.length - 1];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                    b = shorter;
                }
            }
            if (b.length == 0) break;
        }
        return b;
    }

    /** Replaces a random value somewhere in the tree with a nasty one, or removes a random field. */
    @SuppressWarnings("unchecked")
    private static void mutateTree(Object node, SplittableRandom rnd) {
        Object current = node;
        while (true) {
            if (current instanceof Map<?, ?> m && !m.isEmpty()) {
                Map<String, Object> map = (Map<String, Object>) m;
                String key = new ArrayList<>(map.keySet()).get(rnd.nextInt(map.size()));
                Object child = map.get(key);
                boolean descend = (child instanceof Map<?, ?> || child instanceof List<?>) && rnd.nextInt(4) > 0;
                if (descend) {
                    current = child;
                } else {
                    if (rnd.nextInt(4) == 0) map.remove(key);
                    else map.put(key, nasty(rnd));
                    return;
                }
            } else if (current instanceof List<?> l && !l.isEmpty()) {
                List<Object> list = (List<Object>) l;
                int i = rnd.nextInt(list.size());
                Object child = list.get(i);
                if ((child instanceof Map<?, ?> || child instanceof List<?>) && rnd.nextInt(4) > 0) {
                    current = child;
                } else {
                    list.set(i, nasty(rnd));
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** A fresh copy: later mutations may change what they descend into. */
    private static Object nasty(SplittableRandom rnd) {
        return mutableCopy(NASTY.get(rnd.nextInt(NASTY.size())));
    }

    private static Object mutableCopy(Object value) {
        return switch (value) {
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, v) -> copy.put(String.valueOf(k), mutableCopy(v)));
                yield copy;
            }
            case List<?> l ->
                new ArrayList<>(l.stream().map(LfsJsonFuzzTest::mutableCopy).toList());
            case null, default -> value;
        };
    }

    private static byte[] write(Object value) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (var e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object o : l) write(g, o);
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Long n -> g.writeNumber(n);
            case Double d -> g.writeNumber(d);
            case Boolean b -> g.writeBoolean(b);
            case Raw r -> g.writeRawValue(r.json());
            default -> throw new IllegalArgumentException(String.valueOf(value));
        }
    }

    private static String preview(byte[] input) {
        String s = new String(input, StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
