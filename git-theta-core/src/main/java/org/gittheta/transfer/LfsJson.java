package org.gittheta.transfer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gittheta.manifest.ObjectRef;

/** The few JSON documents of the Git LFS API, written and read with jackson-core's streaming API. */
final class LfsJson {
    private static final JsonFactory JSON = new JsonFactory();

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

    /** Any JSON value as maps, lists, strings, numbers, booleans and nulls. */
    static Object parse(byte[] bytes) throws IOException {
        try (JsonParser p = JSON.createParser(bytes)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new IOException("empty JSON document");
            return value(p, t);
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
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected JSON token " + t);
        };
    }
}
