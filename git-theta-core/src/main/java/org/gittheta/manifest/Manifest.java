package org.gittheta.manifest;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * The text Git stores for a tracked checkpoint. One line per parameter, sorted by name, so that
 * {@code git diff} of two versions lists exactly the parameters that changed:
 * <pre>
 * git-theta manifest 1
 * format safetensors
 * size 1048712
 * skeleton \x80\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32",...}}
 * param a dtype=F32 shape=[256,1024] sha256=… update=dense objects=&lt;oid&gt;:&lt;size&gt;
 * param a.bias dtype=F32 shape=[4] sha256=… update=inline values=&lt;base64&gt;
 * </pre>
 * The skeleton (every byte of the file that is not tensor data) is written with printable ASCII as is
 * and any other byte as {@code \xHH}, so it stays one readable line and rebuilds the file exactly. A manifest with
 * inline values is version 2 (an older reader refuses it by its version); any other is written as version 1, as
 * before, so that manifests an older git-theta wrote and read do not change.
 */
public record Manifest(String format, byte[] skeleton, long fileSize, List<ParamEntry> params) {
    /** The version of manifests without inline values. */
    public static final int VERSION = 1;
    /** The version of manifests with inline values ({@code update=inline values=...}). */
    public static final int INLINE_VERSION = 2;

    static final String FIRST_LINE_PREFIX = "git-theta manifest ";
    /** The keys of lines 2, 3 and 4. */
    private static final List<String> HEADER_KEYS = List.of("format", "size", "skeleton");

    private static final byte[] MAGIC = FIRST_LINE_PREFIX.getBytes(StandardCharsets.US_ASCII);

    public Manifest {
        skeleton = skeleton.clone();
        List<ParamEntry> sorted = new ArrayList<>(params);
        sorted.sort(Comparator.comparing(ParamEntry::name));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new IllegalArgumentException("parameter '" + sorted.get(i).name() + "' appears twice");
            }
        }
        params = List.copyOf(sorted);
    }

    @Override
    public byte[] skeleton() {
        return skeleton.clone();
    }

    /** Every object the manifest names, delta bases included, once each. */
    public Set<ObjectRef> objects() {
        Set<ObjectRef> out = new LinkedHashSet<>();
        for (ParamEntry p : params) out.addAll(p.objects());
        return out;
    }

    public Map<String, ParamEntry> byName() {
        Map<String, ParamEntry> m = new LinkedHashMap<>();
        for (ParamEntry p : params) m.put(p.name(), p);
        return m;
    }

    /**
     * Whether both describe the same file bytes: same format, size, skeleton, and the same values (name, dtype, shape,
     * hash) for every parameter, however each is stored.
     */
    public boolean sameFileAs(Manifest other) {
        if (!format.equals(other.format)
                || fileSize != other.fileSize
                || !Arrays.equals(skeleton, other.skeleton)
                || params.size() != other.params.size()) {
            return false;
        }
        for (int i = 0; i < params.size(); i++) {
            ParamEntry a = params.get(i);
            ParamEntry b = other.params.get(i);
            if (!a.name().equals(b.name()) || !a.sameValues(b)) return false;
        }
        return true;
    }

    /** Whether content starts like a manifest (else it is, say, a checkpoint committed before it was tracked). */
    public static boolean looksLike(byte[] prefix, int len) {
        if (len < MAGIC.length) return false;
        for (int i = 0; i < MAGIC.length; i++) if (prefix[i] != MAGIC[i]) return false;
        return true;
    }

    /**
     * Whether a stream starts like a manifest, reading only as many bytes as that takes: most files and blobs looked
     * at are not manifests, and are not read whole.
     */
    public static boolean looksLike(InputStream in) throws IOException {
        byte[] head = in.readNBytes(MAGIC.length);
        return looksLike(head, head.length);
    }

    public String toText() {
        return new String(toBytes(), StandardCharsets.UTF_8);
    }

    public byte[] toBytes() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            writeTo(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return b.toByteArray();
    }

    /**
     * Writes the text line by line: the text of a manifest of many parameters is never held whole, beside the bytes
     * it becomes (200,000 parameters make ~56 MB, which a filter with a bounded heap could not hold several times).
     */
    public void writeTo(OutputStream out) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        boolean inline = params.stream().anyMatch(ParamEntry::isInline);
        w.append(FIRST_LINE_PREFIX)
                .append(String.valueOf(inline ? INLINE_VERSION : VERSION))
                .append('\n');
        w.append("format ").append(format).append('\n');
        w.append("size ").append(String.valueOf(fileSize)).append('\n');
        w.append("skeleton ");
        // a header of 200,000 tensors is ~16 MiB: escaped a block at a time, not into one string
        StringBuilder block = new StringBuilder();
        for (int at = 0; at < skeleton.length; at += 1 << 16) {
            block.setLength(0);
            escapeTo(block, skeleton, at, Math.min(skeleton.length, at + (1 << 16)), false);
            w.append(block);
        }
        w.append('\n');
        StringBuilder line = new StringBuilder();
        for (ParamEntry p : params) {
            line.setLength(0);
            byte[] name = p.name().getBytes(StandardCharsets.UTF_8);
            escapeTo(line.append("param "), name, 0, name.length, true);
            line.append(" dtype=")
                    .append(p.dtype())
                    .append(" shape=")
                    .append(p.shape())
                    .append(" sha256=")
                    .append(p.sha256())
                    .append(" update=")
                    .append(p.update());
            if (p.inline().isPresent()) {
                line.append(" values=").append(p.inline().get().base64());
            } else {
                line.append(" objects=");
                for (int i = 0; i < p.objects().size(); i++) {
                    if (i > 0) line.append(',');
                    line.append(p.objects().get(i));
                }
            }
            p.attributes()
                    .forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
            w.append(line).append('\n');
        }
        w.flush();
    }

    /**
     * Parses and validates a manifest completely: it comes from a repository, which may be hostile, and
     * names the objects and sizes that smudge reads and allocates. Each line is decoded as it is parsed: the text of
     * a manifest of many parameters (200,000 make ~56 MB) is never held whole, nor split into lines all at once.
     * @throws ManifestException naming the line (and parameter) at fault
     */
    public static Manifest parse(byte[] bytes) throws ManifestException {
        Lines lines = new Lines(withLfLineEndings(bytes));
        String version = version(lines);
        boolean inlineAllowed = version.equals(String.valueOf(INLINE_VERSION));
        String format = format(lines);
        long size = size(lines);
        byte[] skeleton = unescape(field(lines, 3), 4);
        List<ParamEntry> params = new ArrayList<>();
        Map<String, Integer> lineOf = new HashMap<>();
        MessageDigest sha = ObjectStore.sha256();
        long dataBytes = 0;
        while (lines.hasNext()) {
            String line = lines.next();
            int lineNo = lines.number();
            lines.checkLineEnd();
            checkPrintableAscii(line, lineNo);
            ParamEntry p = parseParam(line, lineNo, sha);
            if (p.isInline() && !inlineAllowed) {
                throw new ManifestException("manifest line " + lineNo + ": parameter '" + p.name()
                        + "' has inline values, which need manifest version " + INLINE_VERSION + ", not " + version);
            }
            Integer earlier = lineOf.putIfAbsent(p.name(), lineNo);
            if (earlier != null) {
                throw new ManifestException("manifest line " + lineNo + ": parameter '" + p.name()
                        + "' appears twice (also on line " + earlier + ")");
            }
            try {
                dataBytes = Math.addExact(dataBytes, p.byteSize());
            } catch (ArithmeticException e) {
                throw new ManifestException(
                        "manifest line " + lineNo + ": the parameters' sizes add up to more than 2^63-1 bytes");
            }
            params.add(p);
        }
        if (size - skeleton.length != dataBytes) {
            throw new ManifestException("manifest line 3: size " + size + " is not the skeleton's " + skeleton.length
                    + " bytes plus the parameters' " + dataBytes + " bytes");
        }
        return new Manifest(format, skeleton, size, params);
    }

    /**
     * The size of the file a manifest describes, from its first three lines only, as {@link #parse} checks them: for
     * a manifest this process wrote (the stat cache's), where parsing 200,000 parameter lines only to read the size
     * would cost the filter as much heap again as the manifest's text.
     */
    public static long fileSizeOf(byte[] bytes) throws ManifestException {
        Lines lines = new Lines(bytes);
        version(lines);
        format(lines);
        return size(lines);
    }

    private static String version(Lines lines) throws ManifestException {
        String first = lines.hasNext() ? lines.next() : "";
        if (!first.startsWith(FIRST_LINE_PREFIX)) throw new ManifestException("not a git-theta manifest");
        lines.checkLineEnd();
        String version = first.substring(FIRST_LINE_PREFIX.length());
        if (!version.equals(String.valueOf(INLINE_VERSION)) && !version.equals(String.valueOf(VERSION))) {
            throw new ManifestException(
                    "manifest version '" + version + "' is not understood by this git-theta (it reads versions "
                            + VERSION + " and " + INLINE_VERSION + "); upgrade git-theta");
        }
        checkPrintableAscii(first, 1);
        return version;
    }

    private static String format(Lines lines) throws ManifestException {
        String format = field(lines, 1);
        if (format.isEmpty()) throw new ManifestException("manifest line 2: format is empty");
        return format;
    }

    private static long size(Lines lines) throws ManifestException {
        return natural(field(lines, 2), "manifest line 3: size");
    }

    /**
     * The manifest's bytes as git stores them: a manifest whose first line ends with CR LF has had its line endings
     * converted (git's {@code core.autocrlf} or {@code eol} before a filter or into the work tree, where an
     * attributes line lacks {@code -text}), so each CR before a LF goes. Other bytes are returned as they are: a
     * manifest never holds a CR of its own (the skeleton writes it {@code \x0d}).
     */
    public static byte[] withLfLineEndings(byte[] bytes) {
        int firstLf = 0;
        while (firstLf < bytes.length && bytes[firstLf] != '\n') firstLf++;
        if (firstLf == bytes.length || firstLf == 0 || bytes[firstLf - 1] != '\r') return bytes;
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
        for (int i = 0; i < bytes.length; i++) {
            if (!(bytes[i] == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n')) out.write(bytes[i]);
        }
        return out.toByteArray();
    }

    public static Manifest parse(String text) throws ManifestException {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The lines of a manifest's bytes, each decoded when it is read; a final newline ends the last line. */
    private static final class Lines {
        private final byte[] bytes;
        private int at;
        private int number;
        private boolean crlf;

        Lines(byte[] bytes) {
            this.bytes = bytes;
        }

        boolean hasNext() {
            return at < bytes.length;
        }

        String next() {
            int newline = at;
            while (newline < bytes.length && bytes[newline] != '\n') newline++;
            crlf = newline < bytes.length && newline > at && bytes[newline - 1] == '\r';
            String line = new String(bytes, at, newline - at, StandardCharsets.UTF_8);
            at = newline + 1;
            number++;
            return line;
        }

        /** The 1-based number of the line last read. */
        int number() {
            return number;
        }

        /** Refuses the line last read if it ended with CR LF. */
        void checkLineEnd() throws ManifestException {
            if (crlf) {
                throw new ManifestException("manifest has CRLF line endings on some lines (changed by an editor?)");
            }
        }
    }

    /** The value of header line {@code i} + 1 (the next line), which must start with its key and a space. */
    private static String field(Lines lines, int i) throws ManifestException {
        String key = HEADER_KEYS.get(i - 1);
        if (!lines.hasNext()) {
            throw new ManifestException("manifest ends after line " + i + ": no '" + key + "' line");
        }
        String line = lines.next();
        lines.checkLineEnd();
        checkPrintableAscii(line, i + 1);
        if (!line.startsWith(key + " "))
            throw new ManifestException("manifest line " + (i + 1) + ": expected '" + key + " ...'");
        return line.substring(key.length() + 1);
    }

    /** toText writes printable ASCII only; anything else was added by hand or by a broken tool. */
    private static void checkPrintableAscii(String line, int lineNo) throws ManifestException {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new ManifestException(
                        "manifest line " + lineNo + ": character " + String.format("U+%04X", (int) c) + " at column "
                                + (i + 1) + " is not printable ASCII (other bytes are written \\xHH)");
            }
        }
    }

    private static ParamEntry parseParam(String line, int lineNo, MessageDigest digest) throws ManifestException {
        String[] tokens = line.split(" ", -1);
        if (tokens.length < 2 || !tokens[0].equals("param")) {
            throw new ManifestException("manifest line " + lineNo + ": expected 'param <name> dtype=...'");
        }
        // a safetensors header may name a tensor "": clean stores it, so it must read back
        String name = new String(unescape(tokens[1], lineNo), StandardCharsets.UTF_8);
        String where = "manifest line " + lineNo + " (parameter '" + name + "')";
        Map<String, String> kv = new LinkedHashMap<>();
        for (int t = 2; t < tokens.length; t++) {
            int eq = tokens[t].indexOf('=');
            if (eq <= 0) throw new ManifestException(where + ": '" + tokens[t] + "' is not key=value");
            String key = tokens[t].substring(0, eq);
            if (kv.putIfAbsent(key, tokens[t].substring(eq + 1)) != null) {
                throw new ManifestException(where + ": key '" + key + "' appears twice");
            }
        }
        String dtypeName = required(kv, "dtype", where);
        DType dtype = DType.fromName(dtypeName)
                .filter(t -> t.name().equals(dtypeName))
                .orElseThrow(() -> new ManifestException(where + ": unknown dtype '" + dtypeName + "'"));
        Shape shape;
        try {
            String shapeText = required(kv, "shape", where);
            shape = Shape.parse(shapeText);
            if (!shape.toString().equals(shapeText))
                throw new IllegalArgumentException("shape '" + shapeText + "' is not [d0,d1,...]");
        } catch (IllegalArgumentException e) {
            throw new ManifestException(where + ": " + e.getMessage());
        }
        try {
            Math.multiplyExact(shape.numel(), (long) dtype.bits());
            dtype.byteSize(shape.numel());
        } catch (ArithmeticException e) {
            throw new ManifestException(where + ": shape " + shape + " of " + dtype + ": "
                    + (e.getMessage().contains("overflow") ? "byte size overflows" : e.getMessage()));
        }
        String sha = required(kv, "sha256", where);
        if (!ObjectId.isValid(sha))
            throw new ManifestException(where + ": sha256 '" + sha + "' is not 64 lowercase hex digits");
        String update = required(kv, "update", where);
        if (update.isEmpty()) throw new ManifestException(where + ": update is empty");
        TreeMap<String, String> attributes = new TreeMap<>(kv);
        attributes.keySet().removeAll(List.of("dtype", "shape", "sha256", "update", "objects", "values"));
        if (update.equals(ParamEntry.INLINE)) {
            if (kv.containsKey("objects")) throw new ManifestException(where + ": inline values with objects=");
            if (!attributes.isEmpty()) {
                throw new ManifestException(where + ": inline values with attributes " + attributes.keySet());
            }
            InlineValues values = inlineValues(required(kv, "values", where), dtype, shape, sha, digest, where);
            return ParamEntry.inline(name, dtype, shape, sha, values);
        }
        if (kv.containsKey("values")) throw new ManifestException(where + ": values= with update=" + update);
        List<ObjectRef> objects = new ArrayList<>();
        for (String o : required(kv, "objects", where).split(",", -1)) objects.add(objectRef(o, where));
        return new ParamEntry(name, dtype, shape, sha, update, objects, attributes);
    }

    /** Inline values whose length is the parameter's byte size and whose SHA-256 is the line's {@code sha256=}. */
    private static InlineValues inlineValues(
            String text, DType dtype, Shape shape, String sha, MessageDigest digest, String where)
            throws ManifestException {
        long expected = dtype.byteSize(shape.numel());
        // base64 holds 3 bytes in 4 characters: a line cannot make the reader allocate more than it holds
        if (text.length() != 4 * ((expected + 2) / 3)) {
            throw new ManifestException(where + ": values= holds " + text.length() + " base64 characters, " + dtype
                    + " " + shape + " needs " + 4 * ((expected + 2) / 3) + " (" + expected + " bytes)");
        }
        InlineValues values;
        try {
            values = InlineValues.fromBase64(text);
        } catch (IllegalArgumentException e) {
            throw new ManifestException(where + ": " + e.getMessage());
        }
        if (values.length() != expected) {
            throw new ManifestException(where + ": values= holds " + values.length() + " bytes, " + dtype + " " + shape
                    + " is " + expected);
        }
        String actual = HexFormat.of().formatHex(digest.digest(values.bytes()));
        if (!actual.equals(sha)) {
            throw new ManifestException(where + ": values= hash to " + actual + ", not sha256=" + sha);
        }
        return values;
    }

    private static ObjectRef objectRef(String text, String where) throws ManifestException {
        int colon = text.indexOf(':');
        if (colon < 0) throw new ManifestException(where + ": object '" + text + "' is not <sha256>:<size>");
        String hex = text.substring(0, colon);
        // The id becomes a path in the object store: nothing but 64 hex digits may reach it.
        if (!ObjectId.isValid(hex))
            throw new ManifestException(where + ": object id '" + hex + "' is not 64 lowercase hex digits");
        return new ObjectRef(new ObjectId(hex), natural(text.substring(colon + 1), where + ": object size"));
    }

    /** A decimal number between 0 and 2^63-1, digits only. */
    private static long natural(String text, String what) throws ManifestException {
        boolean digits = !text.isEmpty() && text.length() <= 19 && text.chars().allMatch(c -> c >= '0' && c <= '9');
        if (digits) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                // 19 digits above 2^63-1: reported below
            }
        }
        throw new ManifestException(what + " '" + text + "' is not a number between 0 and 2^63-1");
    }

    private static String required(Map<String, String> kv, String key, String where) throws ManifestException {
        String v = kv.get(key);
        if (v == null) throw new ManifestException(where + ": no " + key + "=");
        return v;
    }

    /** Printable ASCII as is (a space too unless {@code escapeSpace}), {@code \} doubled, other bytes {@code \xHH}. */
    private static void escapeTo(StringBuilder out, byte[] bytes, int from, int to, boolean escapeSpace) {
        HexFormat hex = HexFormat.of();
        for (int i = from; i < to; i++) {
            int c = bytes[i] & 0xff;
            if (c > 0x20 && c < 0x7f && c != '\\' || c == ' ' && !escapeSpace) {
                out.append((char) c);
            } else if (c == '\\') {
                out.append("\\\\");
            } else {
                out.append("\\x").append(hex.toHexDigits((byte) c));
            }
        }
    }

    static byte[] unescape(String text, int lineNo) throws ManifestException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                out.write(c);
            } else if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
                out.write('\\');
                i++;
            } else if (i + 3 < text.length() && text.charAt(i + 1) == 'x') {
                try {
                    out.write(HexFormat.fromHexDigits(text, i + 2, i + 4));
                } catch (IllegalArgumentException e) {
                    throw new ManifestException("manifest line " + lineNo + ": bad escape at column " + (i + 1));
                }
                i += 3;
            } else {
                throw new ManifestException("manifest line " + lineNo + ": bad escape at column " + (i + 1));
            }
        }
        return out.toByteArray();
    }
}
