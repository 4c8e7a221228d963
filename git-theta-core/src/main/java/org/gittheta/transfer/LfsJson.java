package org.gittheta.transfer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.manifest.ObjectRef;

/** The few JSON documents of the Git LFS API, written and read with jackson-core's streaming API. */
final class LfsJson {
    /** Batch replies are a few levels deep; a deeper document is an attack on the parser's stack. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();
    /** An action that expires sooner than this is asked for again rather than started. */
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(5);
    /** Expiry times further out than this are as good as never (and keep Instant arithmetic in range). */
    private static final long MAX_EXPIRES_IN = Duration.ofDays(3650).toSeconds();

    private static final String BATCH_REPLY = "batch reply";

    private LfsJson() {}

    static byte[] batchRequest(String operation, List<ObjectRef> objects) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("operation", operation);
            g.writeArrayFieldStart("transfers");
            g.writeString("basic");
            g.writeEndArray();
            g.writeArrayFieldStart("objects");
            for (ObjectRef ref : objects) writeObject(g, ref);
            g.writeEndArray();
            g.writeStringField("hash_algo", "sha256");
            g.writeEndObject();
        }
        return buf.toByteArray();
    }

    static byte[] verifyRequest(ObjectRef ref) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            writeObject(g, ref);
        }
        return buf.toByteArray();
    }

    private static void writeObject(JsonGenerator g, ObjectRef ref) throws IOException {
        g.writeStartObject();
        g.writeStringField("oid", ref.id().hex());
        g.writeNumberField("size", ref.size());
        g.writeEndObject();
    }

    record Action(URI href, Map<String, String> header, Optional<Instant> expiresAt) {
        boolean expiresSoon() {
            return expiresAt.isPresent()
                    && expiresAt.get().isBefore(Instant.now().plus(EXPIRY_MARGIN));
        }
    }

    /**
     * What {@code git-lfs-authenticate} printed ({@code what} names the command): an action whose {@code href},
     * when it has one, replaces the derived {@code endpoint}.
     */
    static Action sshGrant(byte[] answer, URI endpoint, String what) throws LfsProtocolException {
        String reply = "answer from " + what;
        Map<Object, Object> grant =
                new LinkedHashMap<>(map(parse(answer, endpoint, reply), endpoint, reply, "not a JSON object"));
        grant.putIfAbsent("href", endpoint.toString());
        return action(endpoint, reply, "the grant", grant);
    }

    record ObjectError(long code, String message) {
        @Override
        public String toString() {
            String kind = code == 404
                    ? "not found"
                    : code == 410 ? "removed from the server" : code == 422 ? "rejected as invalid" : "error";
            return kind + " (" + code + ")" + (message.isEmpty() ? "" : ": " + message);
        }
    }

    record BatchObject(ObjectRef ref, Map<String, Action> actions, Optional<ObjectError> error) {}

    /**
     * The objects of a batch reply that were asked about, in the reply's order. Whatever the server sent, the
     * only exception is an {@link LfsProtocolException} naming what was wrong (and the object, where there is one).
     */
    static List<BatchObject> batchResponse(byte[] body, URI url, List<ObjectRef> asked) throws LfsProtocolException {
        Map<String, ObjectRef> byOid = new LinkedHashMap<>();
        for (ObjectRef ref : asked) byOid.put(ref.id().hex(), ref);
        Map<?, ?> doc = map(parse(body, url, BATCH_REPLY), url, "the batch reply is not a JSON object");
        Object transfer = doc.get("transfer");
        if (transfer != null && !"basic".equals(transfer)) {
            throw bad(
                    url,
                    "the server chose the unsupported transfer '" + LfsHttp.oneLine(String.valueOf(transfer), 40)
                            + "'");
        }
        if (!(doc.get("objects") instanceof List<?> objects)) throw bad(url, "the batch reply has no list of objects");
        List<BatchObject> out = new ArrayList<>();
        for (Object item : objects) {
            Map<?, ?> o = map(item, url, "the batch reply lists something that is not an object");
            ObjectRef ref = o.get("oid") instanceof String oid ? byOid.get(oid) : null;
            if (ref == null) continue; // not one we asked about
            String of = "object " + ref.id();
            Object size = o.get("size");
            if (size != null && !(size instanceof Long l && l == ref.size())) {
                throw bad(
                        url,
                        of + " has size " + ref.size() + " but the server announces "
                                + LfsHttp.oneLine(String.valueOf(size), 40));
            }
            Optional<ObjectError> error = Optional.empty();
            if (o.get("error") != null) {
                Map<?, ?> e = map(o.get("error"), url, of + ": its error is not a JSON object");
                String message = e.get("message") instanceof String m ? LfsHttp.oneLine(m, 300) : "";
                error = Optional.of(new ObjectError(e.get("code") instanceof Long c ? c : 0, message));
            }
            Map<String, Action> actions = new LinkedHashMap<>();
            if (o.get("actions") != null) {
                Map<?, ?> as = map(o.get("actions"), url, of + ": its actions are not a JSON object");
                for (var a : as.entrySet()) {
                    String name = String.valueOf(a.getKey());
                    actions.put(
                            name,
                            action(
                                    url,
                                    BATCH_REPLY,
                                    of + ": action '" + LfsHttp.oneLine(name, 40) + "'",
                                    a.getValue()));
                }
            }
            out.add(new BatchObject(ref, actions, error));
        }
        return out;
    }

    private static Action action(URI url, String reply, String what, Object value) throws LfsProtocolException {
        Map<?, ?> a = map(value, url, reply, what + " is not a JSON object");
        if (!(a.get("href") instanceof String h)) throw bad(url, reply, what + " has no href");
        URI href;
        try {
            href = url.resolve(h);
        } catch (IllegalArgumentException e) {
            throw bad(url, reply, what + " has a malformed href '" + LfsHttp.oneLine(h, 200) + "'");
        }
        String scheme = String.valueOf(href.getScheme());
        if (!(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || href.getHost() == null) {
            throw bad(
                    url,
                    reply,
                    what + " points to " + LfsHttp.oneLine(h, 200) + ", which is not an http(s) URL with a host");
        }
        Map<String, String> header = new LinkedHashMap<>();
        if (a.get("header") != null) {
            for (var e : map(a.get("header"), url, reply, what + ": its header is not a JSON object")
                    .entrySet()) {
                if (!(e.getValue() instanceof String v)) {
                    throw bad(
                            url,
                            reply,
                            what + ": header '" + LfsHttp.oneLine(String.valueOf(e.getKey()), 40)
                                    + "' is not a string");
                }
                header.put(String.valueOf(e.getKey()), v);
            }
        }
        Optional<Instant> expires = Optional.empty();
        if (a.get("expires_in") instanceof Long in && in != 0) {
            expires = Optional.of(Instant.now().plusSeconds(Math.clamp(in, -MAX_EXPIRES_IN, MAX_EXPIRES_IN)));
        } else if (a.get("expires_at") instanceof String at && !at.startsWith("0001-01-01")) {
            try {
                expires = Optional.of(Instant.parse(at));
            } catch (DateTimeParseException e) {
                throw bad(url, reply, what + " has a bad expires_at '" + LfsHttp.oneLine(at, 60) + "'");
            }
        }
        return new Action(href, header, expires);
    }

    private static Map<?, ?> map(Object o, URI url, String otherwise) throws LfsProtocolException {
        return map(o, url, BATCH_REPLY, otherwise);
    }

    private static Map<?, ?> map(Object o, URI url, String reply, String otherwise) throws LfsProtocolException {
        if (o instanceof Map<?, ?> m) return m;
        throw bad(url, reply, otherwise);
    }

    private static LfsProtocolException bad(URI url, String what) {
        return bad(url, BATCH_REPLY, what);
    }

    private static LfsProtocolException bad(URI url, String reply, String what) {
        return new LfsProtocolException(url + ": bad " + reply + ": " + what);
    }

    private static Object parse(byte[] body, URI url, String reply) throws LfsProtocolException {
        try {
            return parse(body);
        } catch (IOException e) {
            throw new LfsProtocolException(
                    url + ": bad " + reply + ": " + LfsHttp.oneLine(String.valueOf(e.getMessage()), 200), e);
        }
    }

    /** Any JSON value as maps, lists, strings, numbers, booleans and nulls. */
    static Object parse(byte[] bytes) throws IOException {
        try (JsonParser p = JSON.createParser(bytes)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new IOException("empty JSON document");
            Object value = value(p, t);
            if (p.nextToken() != null) throw new IOException("more after the JSON document");
            return value;
        } catch (JacksonException e) {
            throw new IOException("malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) l.add(value(p, e));
                yield l;
            }
            case VALUE_STRING -> p.getText();
            // beyond a long: a double, so that it can never pass for a size or a code
            case VALUE_NUMBER_INT ->
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? (Object) p.getDoubleValue()
                        : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected JSON token " + t);
        };
    }
}
