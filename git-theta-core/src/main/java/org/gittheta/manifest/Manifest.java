package org.gittheta.manifest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * </pre>
 * The skeleton (every byte of the file that is not tensor data) is written with printable ASCII as is
 * and any other byte as {@code \xHH}, so it stays one readable line and rebuilds the file exactly.
 */
public record Manifest(String format, byte[] skeleton, long fileSize, List<ParamEntry> params) {
    public static final int VERSION = 1;
    static final String FIRST_LINE_PREFIX = "git-theta manifest ";
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

    @Override public byte[] skeleton() { return skeleton.clone(); }

    public Map<String, ParamEntry> byName() {
        Map<String, ParamEntry> m = new LinkedHashMap<>();
        for (ParamEntry p : params) m.put(p.name(), p);
        return m;
    }

    /** Whether content starts like a manifest (else it is, say, a checkpoint committed before it was tracked). */
    public static boolean looksLike(byte[] prefix, int len) {
        if (len < MAGIC.length) return false;
        for (int i = 0; i < MAGIC.length; i++) if (prefix[i] != MAGIC[i]) return false;
        return true;
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(FIRST_LINE_PREFIX).append(VERSION).append('\n');
        b.append("format ").append(format).append('\n');
        b.append("size ").append(fileSize).append('\n');
        b.append("skeleton ").append(escape(skeleton, false)).append('\n');
        for (ParamEntry p : params) {
            b.append("param ").append(escape(p.name().getBytes(StandardCharsets.UTF_8), true))
                    .append(" dtype=").append(p.dtype())
                    .append(" shape=").append(p.shape())
                    .append(" sha256=").append(p.sha256())
                    .append(" update=").append(p.update())
                    .append(" objects=");
            for (int i = 0; i < p.objects().size(); i++) {
                if (i > 0) b.append(',');
                b.append(p.objects().get(i));
            }
            p.attributes().forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            b.append('\n');
        }
        return b.toString();
    }

    public byte[] toBytes() { return toText().getBytes(StandardCharsets.UTF_8); }

    public static Manifest parse(byte[] bytes) throws ManifestException {
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    public static Manifest parse(String text) throws ManifestException {
        String[] lines = text.split("\n", -1);
        int n = lines.length;
        if (n > 0 && lines[n - 1].isEmpty()) n--;
        if (n < 4 || !lines[0].startsWith(FIRST_LINE_PREFIX)) throw new ManifestException("not a git-theta manifest");
        String version = lines[0].substring(FIRST_LINE_PREFIX.length());
        if (!version.equals(String.valueOf(VERSION))) {
            throw new ManifestException("manifest version " + version + " is not understood by this git-theta (it reads version "
                    + VERSION + "); upgrade git-theta");
        }
        String format = field(lines, 1, "format");
        long size;
        try {
            size = Long.parseLong(field(lines, 2, "size"));
        } catch (NumberFormatException e) {
            throw new ManifestException("manifest line 3: size is not a number");
        }
        byte[] skeleton = unescape(field(lines, 3, "skeleton"), 4);
        List<ParamEntry> params = new ArrayList<>();
        for (int i = 4; i < n; i++) params.add(parseParam(lines[i], i + 1));
        try {
            return new Manifest(format, skeleton, size, params);
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest: " + e.getMessage());
        }
    }

    private static String field(String[] lines, int i, String key) throws ManifestException {
        if (!lines[i].startsWith(key + " ")) throw new ManifestException("manifest line " + (i + 1) + ": expected '" + key + " ...'");
        return lines[i].substring(key.length() + 1);
    }

    private static ParamEntry parseParam(String line, int lineNo) throws ManifestException {
        String[] tokens = line.split(" ");
        if (tokens.length < 2 || !tokens[0].equals("param")) throw new ManifestException("manifest line " + lineNo + ": expected 'param ...'");
        String name = new String(unescape(tokens[1], lineNo), StandardCharsets.UTF_8);
        Map<String, String> kv = new LinkedHashMap<>();
        for (int t = 2; t < tokens.length; t++) {
            int eq = tokens[t].indexOf('=');
            if (eq <= 0) throw new ManifestException("manifest line " + lineNo + ": '" + tokens[t] + "' is not key=value");
            kv.put(tokens[t].substring(0, eq), tokens[t].substring(eq + 1));
        }
        try {
            DType dtype = DType.fromName(required(kv, "dtype", lineNo))
                    .orElseThrow(() -> new IllegalArgumentException("unknown dtype " + kv.get("dtype")));
            Shape shape = Shape.parse(required(kv, "shape", lineNo));
            String sha = required(kv, "sha256", lineNo);
            String update = required(kv, "update", lineNo);
            List<ObjectRef> objects = new ArrayList<>();
            for (String o : required(kv, "objects", lineNo).split(",")) objects.add(ObjectRef.parse(o));
            TreeMap<String, String> attributes = new TreeMap<>(kv);
            attributes.keySet().removeAll(List.of("dtype", "shape", "sha256", "update", "objects"));
            return new ParamEntry(name, dtype, shape, sha, update, objects, attributes);
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest line " + lineNo + " (parameter '" + name + "'): " + e.getMessage());
        }
    }

    private static String required(Map<String, String> kv, String key, int lineNo) throws ManifestException {
        String v = kv.get(key);
        if (v == null) throw new ManifestException("manifest line " + lineNo + ": no " + key + "=");
        return v;
    }

    static String escape(byte[] bytes, boolean escapeSpace) {
        StringBuilder b = new StringBuilder(bytes.length);
        HexFormat hex = HexFormat.of();
        for (byte x : bytes) {
            int c = x & 0xff;
            if (c > 0x20 && c < 0x7f && c != '\\' || c == ' ' && !escapeSpace) {
                b.append((char) c);
            } else if (c == '\\') {
                b.append("\\\\");
            } else {
                b.append("\\x").append(hex.toHexDigits((byte) c));
            }
        }
        return b.toString();
    }

    static byte[] unescape(String text, int lineNo) throws ManifestException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                if (c > 0x7e) throw new ManifestException("manifest line " + lineNo + ": unescaped non-ASCII character");
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
