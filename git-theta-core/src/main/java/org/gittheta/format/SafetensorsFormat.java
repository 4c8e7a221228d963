package org.gittheta.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.text.JsonErrors;

/**
 * The safetensors format: a little-endian u64 header length N, N bytes of UTF-8 JSON header, then the data
 * region. The header maps tensor names to {@code {"dtype", "shape", "data_offsets"}} (offsets relative to the
 * data region) and may hold a {@code "__metadata__"} object of strings. The skeleton is the first 8 + N bytes.
 *
 * <p>Validation is complete and strict: tensors must tile the data region exactly, with no gap, overlap or
 * trailing byte, so that skeleton + tensors account for every byte of the file and checkout is byte-identical.
 */
public final class SafetensorsFormat implements CheckpointFormat {
    public static final SafetensorsFormat INSTANCE = new SafetensorsFormat();

    /** The reference implementation's limit; a larger header is hostile or corrupt, not a model. */
    static final long MAX_HEADER_LENGTH = 100_000_000;

    private static final int LENGTH_BYTES = 8;
    private static final String METADATA_KEY = "__metadata__";
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // Jackson's default string and name limits are far below what a legal header may hold; the header
    // length limit already bounds the input. Name canonicalisation is off because tensor names are
    // untrusted and mostly unique: caching them in the factory-wide symbol table would only grow it.
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) MAX_HEADER_LENGTH)
                    .maxNameLength((int) MAX_HEADER_LENGTH)
                    .build())
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    private SafetensorsFormat() {}

    @Override
    public String name() {
        return "safetensors";
    }

    @Override
    public int minPrefix() {
        return LENGTH_BYTES;
    }

    @Override
    public long skeletonLength(String file, MemorySegment prefix) throws BadCheckpointException {
        return LENGTH_BYTES + headerLength(file, prefix);
    }

    @Override
    public CheckpointLayout read(String file, MemorySegment content) throws BadCheckpointException {
        long fileSize = content.byteSize();
        long headerLength = headerLength(file, content);
        if (headerLength > fileSize - LENGTH_BYTES) {
            throw new BadCheckpointException(
                    file, "header length " + headerLength + " runs past the end of the file (" + fileSize + " bytes)");
        }
        byte[] skeleton = content.asSlice(0, LENGTH_BYTES + headerLength).toArray(ValueLayout.JAVA_BYTE);
        List<TensorSlot> tensors = parseHeader(file, skeleton);
        long dataLength = fileSize - skeleton.length;
        long tensorBytes = 0;
        for (TensorSlot slot : tensors) {
            long begin = slot.offset() - skeleton.length;
            if (begin + slot.length() > dataLength) {
                throw new BadCheckpointException(
                        file,
                        slot.name(),
                        "data_offsets [" + begin + ", " + (begin + slot.length())
                                + "] run past the end of the file (data region is " + dataLength + " bytes)");
            }
            tensorBytes += slot.length();
        }
        if (tensorBytes < dataLength) {
            throw new BadCheckpointException(
                    file, (dataLength - tensorBytes) + " bytes of trailing data after the last tensor");
        }
        return new CheckpointLayout(name(), skeleton, fileSize, tensors);
    }

    @Override
    public CheckpointLayout fromSkeleton(String file, byte[] skeleton) throws BadCheckpointException {
        long headerLength = headerLength(file, MemorySegment.ofArray(skeleton));
        if (headerLength != skeleton.length - LENGTH_BYTES) {
            throw new BadCheckpointException(
                    file,
                    "header length " + headerLength + " does not match the " + skeleton.length + "-byte skeleton");
        }
        List<TensorSlot> tensors = parseHeader(file, skeleton);
        long fileSize = skeleton.length;
        for (TensorSlot slot : tensors) {
            fileSize = slot.end();
        }
        return new CheckpointLayout(name(), skeleton, fileSize, tensors);
    }

    private static long headerLength(String file, MemorySegment prefix) throws BadCheckpointException {
        if (prefix.byteSize() < LENGTH_BYTES) {
            throw new BadCheckpointException(
                    file,
                    "file is " + prefix.byteSize() + " bytes, shorter than the " + LENGTH_BYTES
                            + "-byte header length");
        }
        long n = prefix.get(U64_LE, 0);
        // Read as unsigned: a "negative" length is just a very large one.
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            String other = otherFormat(prefix);
            if (other != null) throw new BadCheckpointException(file, "this is " + other + ", not safetensors");
            throw new BadCheckpointException(
                    file,
                    "header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER_LENGTH
                            + " bytes");
        }
        return n;
    }

    /**
     * What a file with an impossible header length is instead, by its first bytes, or null: checkpoints of other
     * formats are often named {@code .safetensors} by mistake, and "header length exceeds the limit" would hide that.
     */
    private static String otherFormat(MemorySegment prefix) {
        byte[] magic = prefix.asSlice(0, LENGTH_BYTES).toArray(ValueLayout.JAVA_BYTE);
        if (magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)
            return "a PyTorch zip checkpoint (or another zip file)";
        if (magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F') return "a GGUF file";
        // Pickle protocol 2..5 starts with PROTO (0x80) and its version: torch.save before PyTorch 1.6, or a plain
        // pickle.
        if ((magic[0] & 0xff) == 0x80 && magic[1] >= 2 && magic[1] <= 5)
            return "a pickled (legacy torch.save) checkpoint";
        return null;
    }

    /**
     * Parses and checks the JSON header in {@code skeleton} (length prefix already checked) and returns the
     * tensors in file order with absolute offsets, having checked that they tile the data region from its
     * start without gaps or overlaps. Whether the data region is as long as the tensors is left to the caller.
     */
    private static List<TensorSlot> parseHeader(String file, byte[] skeleton) throws BadCheckpointException {
        char[] json = decodeUtf8(file, skeleton);
        List<Entry> entries = parseJson(file, json);
        entries.sort((a, b) -> a.begin != b.begin
                ? Long.compare(a.begin, b.begin)
                : a.end != b.end ? Long.compare(a.end, b.end) : a.name.compareTo(b.name));
        List<TensorSlot> slots = new ArrayList<>(entries.size());
        Entry previous = null;
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin < expected) {
                throw new BadCheckpointException(
                        file,
                        e.name,
                        "data_offsets " + e.offsets() + " overlap tensor '" + previous.name + "' "
                                + previous.offsets());
            }
            if (e.begin > expected) {
                throw new BadCheckpointException(
                        file,
                        e.name,
                        "data_offsets " + e.offsets() + " leave "
                                + (e.begin - expected) + " unused bytes before it"
                                + (previous == null
                                        ? " at the start of the data region"
                                        : " after tensor '" + previous.name + "' " + previous.offsets()));
            }
            long offset;
            try {
                offset = Math.addExact(skeleton.length, e.begin);
                Math.addExact(offset, e.end - e.begin);
            } catch (ArithmeticException overflow) {
                throw new BadCheckpointException(
                        file, e.name, "data_offsets " + e.offsets() + " overflow a file position");
            }
            slots.add(new TensorSlot(e.name, e.dtype, e.shape, offset, e.end - e.begin));
            expected = e.end;
            previous = e;
        }
        return slots;
    }

    private static char[] decodeUtf8(String file, byte[] skeleton) throws BadCheckpointException {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(skeleton, LENGTH_BYTES, skeleton.length - LENGTH_BYTES);
        CharBuffer out = CharBuffer.allocate(skeleton.length - LENGTH_BYTES);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) result = decoder.flush(out);
        if (result.isError()) {
            throw new BadCheckpointException(
                    file, "header is not valid UTF-8 (bad byte at file offset " + in.position() + ")");
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private static List<Entry> parseJson(String file, char[] json) throws BadCheckpointException {
        List<Entry> entries = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json, 0, json.length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadCheckpointException(file, "header is not a JSON object");
            }
            Set<String> keys = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (!keys.add(key)) {
                    if (key.equals(METADATA_KEY))
                        throw new BadCheckpointException(file, "header has two " + METADATA_KEY + " entries");
                    throw new BadCheckpointException(file, key, "appears twice in the header");
                }
                if (key.equals(METADATA_KEY)) {
                    checkMetadata(file, p);
                } else {
                    entries.add(parseEntry(file, key, p));
                }
            }
            checkTrailing(file, json, p.currentLocation());
        } catch (JsonEOFException e) {
            // Jackson's own message for this names an internal source description; ours says what happened.
            throw new BadCheckpointException(
                    file, "header is not valid JSON: it ends before the JSON object is closed", e);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            throw new BadCheckpointException(
                    file, "header is not valid JSON" + where + ": " + JsonErrors.message(e), e);
        } catch (BadCheckpointException e) {
            throw e;
        } catch (IOException e) {
            // The parser reads from a char array; any other I/O failure is a bug, not bad input.
            throw new IllegalStateException(e);
        }
        return entries;
    }

    /** The JSON value must be the whole header, but writers may pad it with spaces (we also allow JSON whitespace). */
    private static void checkTrailing(String file, char[] json, JsonLocation afterObject)
            throws BadCheckpointException {
        for (long i = afterObject.getCharOffset(); i < json.length; i++) {
            char c = json[(int) i];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                throw new BadCheckpointException(
                        file, "header has trailing data after the JSON object (at character " + i + ")");
            }
        }
    }

    /** A null {@code __metadata__} is accepted as none, as the reference implementation does. */
    private static void checkMetadata(String file, JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) return;
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new BadCheckpointException(file, METADATA_KEY + " is not a JSON object");
        }
        Set<String> keys = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (!keys.add(key))
                throw new BadCheckpointException(file, METADATA_KEY + ": key '" + key + "' appears twice");
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new BadCheckpointException(file, METADATA_KEY + ": value of '" + key + "' is not a string");
            }
        }
    }

    private static Entry parseEntry(String file, String name, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new BadCheckpointException(file, name, "entry is not a JSON object");
        }
        String dtypeName = null;
        long[] dims = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            switch (key) {
                case "dtype" -> {
                    if (dtypeName != null) throw new BadCheckpointException(file, name, "key 'dtype' appears twice");
                    if (p.currentToken() != JsonToken.VALUE_STRING)
                        throw new BadCheckpointException(file, name, "dtype is not a string");
                    dtypeName = p.getText();
                }
                case "shape" -> {
                    if (dims != null) throw new BadCheckpointException(file, name, "key 'shape' appears twice");
                    dims = parseNaturals(file, name, "shape", p);
                }
                case "data_offsets" -> {
                    if (offsets != null)
                        throw new BadCheckpointException(file, name, "key 'data_offsets' appears twice");
                    offsets = parseNaturals(file, name, "data_offsets", p);
                }
                default -> throw new BadCheckpointException(file, name, "unknown key '" + key + "'");
            }
        }
        if (dtypeName == null) throw new BadCheckpointException(file, name, "has no dtype");
        if (dims == null) throw new BadCheckpointException(file, name, "has no shape");
        if (offsets == null) throw new BadCheckpointException(file, name, "has no data_offsets");
        return toEntry(file, name, dtypeName, dims, offsets);
    }

    private static Entry toEntry(String file, String name, String dtypeName, long[] dims, long[] offsets)
            throws BadCheckpointException {
        // DType.fromName ignores case; the format does not, so "f32" is not F32. ggml's block types are not its.
        DType dtype = DType.fromName(dtypeName)
                .filter(t -> t.name().equals(dtypeName) && t.kind() != DType.Kind.QUANTIZED)
                .orElseThrow(() -> new BadCheckpointException(file, name, "unknown dtype '" + dtypeName + "'"));
        Shape shape;
        try {
            shape = Shape.of(dims);
        } catch (IllegalArgumentException e) {
            throw new BadCheckpointException(
                    file, name, "shape " + Arrays.toString(dims) + ": element count overflows");
        }
        if (offsets.length != 2) {
            throw new BadCheckpointException(
                    file, name, "data_offsets " + Arrays.toString(offsets) + " is not [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new BadCheckpointException(
                    file, name, "data_offsets [" + begin + ", " + end + "] begin after they end");
        }
        long size = TensorSlot.byteSize(file, name, dtype, shape);
        if (end - begin != size) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "data_offsets [" + begin + ", " + end + "] hold " + (end - begin) + " bytes but shape " + shape
                            + " of " + dtype + " needs " + size);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers that fit in a long, as shape and data_offsets are. */
    private static long[] parseNaturals(String file, String name, String key, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new BadCheckpointException(file, name, key + " is not a JSON array");
        }
        long[] values = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new BadCheckpointException(
                        file, name, key + " element " + n + " is not an integer: " + p.getText());
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new BadCheckpointException(file, name, key + " element " + n + " is too large: " + p.getText());
            }
            long v = p.getLongValue();
            if (v < 0) throw new BadCheckpointException(file, name, key + " element " + n + " is negative: " + v);
            if (n == values.length) values = Arrays.copyOf(values, n * 2);
            values[n++] = v;
        }
        return Arrays.copyOf(values, n);
    }

    /** A header entry, offsets still relative to the data region. */
    private record Entry(String name, DType dtype, Shape shape, long begin, long end) {
        String offsets() {
            return "[" + begin + ", " + end + "]";
        }
    }
}
