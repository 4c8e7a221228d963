package org.gittheta.testdata;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.CheckpointWriter;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * Deterministic checkpoint files for tests.
 *
 * <pre>{@code
 * byte[] file = TestCheckpoints.safetensors()
 *         .tensor("a", DType.F32, 2, 3)
 *         .tensor("b", DType.BF16, 4)
 *         .metadata("format", "pt")
 *         .seed(42)
 *         .bytes();
 * }</pre>
 *
 * Tensor data is laid out in the order tensors were added; the JSON key order, field order, whitespace and
 * padding of the header are separate options, so tests can vary the header without moving data. Random data
 * is random bytes (floats may be NaN): fine for byte-level tests, pass explicit data when values matter.
 */
public final class TestCheckpoints {
    private TestCheckpoints() {}

    public static SafetensorsBuilder safetensors() {
        return new SafetensorsBuilder();
    }

    /** A safetensors file with a literal JSON header (UTF-8, no padding added) followed by {@code data}. */
    public static byte[] safetensorsWithHeader(String headerJson, byte[] data) {
        return safetensorsWithHeader(headerJson.getBytes(StandardCharsets.UTF_8), data);
    }

    /** A safetensors file with raw header bytes followed by {@code data}; for headers that are not even UTF-8. */
    public static byte[] safetensorsWithHeader(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .put(header)
                .put(data)
                .array();
    }

    /** Rebuilds a file from its layout, copying tensor bytes from {@code original}: what smudge does. */
    public static byte[] rebuild(CheckpointLayout layout, byte[] original) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(original.length);
        CheckpointWriter.write(layout, (slot, o) -> o.write(original, (int) slot.offset(), (int) slot.length()), out);
        return out.toByteArray();
    }

    /** Reads {@code bytes} as safetensors, under the given file name. */
    public static CheckpointLayout readSafetensors(String file, byte[] bytes) throws BadCheckpointException {
        return SafetensorsFormat.INSTANCE.read(file, MemorySegment.ofArray(bytes));
    }

    /** How the header orders its tensor (and metadata) keys; data order is always insertion order. */
    public enum KeyOrder {
        INSERTION,
        SORTED,
        REVERSED,
        SHUFFLED
    }

    public static final class SafetensorsBuilder {
        private record Spec(String name, DType dtype, Shape shape, byte[] data) {}

        private final List<Spec> tensors = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private long seed = 1;
        private KeyOrder keyOrder = KeyOrder.INSERTION;
        private boolean metadataLast;
        private List<String> fieldOrder = List.of("dtype", "shape", "data_offsets");
        private boolean pretty;
        private int padding;
        private int alignment = 1;

        private SafetensorsBuilder() {}

        /** A tensor of seeded random bytes. */
        public SafetensorsBuilder tensor(String name, DType dtype, long... dims) {
            return tensor(name, dtype, Shape.of(dims));
        }

        public SafetensorsBuilder tensor(String name, DType dtype, Shape shape) {
            tensors.add(new Spec(name, dtype, shape, null));
            return this;
        }

        /** A tensor with exactly these bytes; their length must match shape and dtype. */
        public SafetensorsBuilder tensor(String name, DType dtype, Shape shape, byte[] data) {
            if (data.length != dtype.byteSize(shape.numel())) {
                throw new IllegalArgumentException(name + ": " + data.length + " bytes for " + shape + " of " + dtype);
            }
            tensors.add(new Spec(name, dtype, shape, data.clone()));
            return this;
        }

        public SafetensorsBuilder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        public SafetensorsBuilder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public SafetensorsBuilder keyOrder(KeyOrder order) {
            this.keyOrder = order;
            return this;
        }

        /** Put {@code __metadata__} after the tensors instead of first. */
        public SafetensorsBuilder metadataLast() {
            this.metadataLast = true;
            return this;
        }

        /** Order of the keys inside each tensor entry, e.g. {@code "data_offsets", "shape", "dtype"}. */
        public SafetensorsBuilder fieldOrder(String... fields) {
            this.fieldOrder = List.of(fields);
            return this;
        }

        /** Newlines and indentation inside the JSON. */
        public SafetensorsBuilder pretty() {
            this.pretty = true;
            return this;
        }

        /** Extra trailing spaces after the JSON object. */
        public SafetensorsBuilder padding(int spaces) {
            this.padding = spaces;
            return this;
        }

        /** Pad the header with spaces so that the data region starts at a multiple of {@code bytes}, as the Python
         * writer does with 8. */
        public SafetensorsBuilder align(int bytes) {
            this.alignment = bytes;
            return this;
        }

        /** The bytes of tensor {@code name} as they appear in the built file. */
        public byte[] data(String name) {
            for (int i = 0; i < tensors.size(); i++) {
                if (tensors.get(i).name.equals(name)) return dataOf(i);
            }
            throw new IllegalArgumentException("no tensor '" + name + "'");
        }

        public byte[] bytes() {
            byte[] header = header();
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (int i = 0; i < tensors.size(); i++) {
                data.writeBytes(dataOf(i));
            }
            return safetensorsWithHeader(header, data.toByteArray());
        }

        /** Writes the file to {@code path} and returns {@code path}. */
        public Path write(Path path) {
            try {
                return Files.write(path, bytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private byte[] dataOf(int index) {
            Spec spec = tensors.get(index);
            if (spec.data != null) return spec.data.clone();
            byte[] data = new byte[Math.toIntExact(spec.dtype.byteSize(spec.shape.numel()))];
            new Random(seed * 1_000_003L + index).nextBytes(data);
            return data;
        }

        private byte[] header() {
            List<String> members = new ArrayList<>();
            long offset = 0;
            List<String> entries = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Spec spec : tensors) {
                long size = spec.dtype.byteSize(spec.shape.numel());
                entries.add(entry(spec, offset, offset + size));
                names.add(spec.name);
                offset += size;
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) order.add(i);
            switch (keyOrder) {
                case INSERTION -> {}
                case SORTED -> order.sort(Comparator.comparing(names::get));
                case REVERSED -> Collections.reverse(order);
                case SHUFFLED -> Collections.shuffle(order, new Random(seed));
            }
            for (int i : order) members.add(entries.get(i));
            if (!metadata.isEmpty()) {
                List<String> pairs = new ArrayList<>();
                metadata.forEach((k, v) -> pairs.add(quote(k) + ":" + quote(v)));
                String member = quote("__metadata__") + ":" + object(pairs, 2);
                if (metadataLast) members.add(member);
                else members.addFirst(member);
            }
            StringBuilder json = new StringBuilder(object(members, 1));
            json.repeat(' ', padding);
            int unaligned = (8 + json.toString().getBytes(StandardCharsets.UTF_8).length) % alignment;
            if (unaligned != 0) json.repeat(' ', alignment - unaligned);
            return json.toString().getBytes(StandardCharsets.UTF_8);
        }

        private String entry(Spec spec, long begin, long end) {
            List<String> fields = new ArrayList<>();
            for (String field : fieldOrder) {
                fields.add(quote(field) + ":"
                        + switch (field) {
                            case "dtype" -> quote(spec.dtype.name());
                            case "shape" -> spec.shape.toString();
                            case "data_offsets" -> "[" + begin + "," + end + "]";
                            default -> throw new IllegalArgumentException("unknown field " + field);
                        });
            }
            return quote(spec.name) + ":" + object(fields, 2);
        }

        private String object(List<String> members, int depth) {
            if (!pretty) return "{" + String.join(",", members) + "}";
            String indent = "\n" + "  ".repeat(depth);
            return "{" + indent + String.join("," + indent, members) + "\n" + "  ".repeat(depth - 1) + "}";
        }

        private static String quote(String s) {
            return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
        }
    }
}
