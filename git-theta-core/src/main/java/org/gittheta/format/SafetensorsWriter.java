package org.gittheta.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * Writes a new safetensors file the way the Hugging Face library does: compact JSON header,
 * {@code __metadata__} first, tensors in the given order, header padded with spaces to a multiple of 8.
 */
public final class SafetensorsWriter {
    /** A tensor to write; {@code values} produces exactly {@code dtype.byteSize(shape.numel())} bytes. */
    public record Tensor(String name, DType dtype, Shape shape, Values values) {}

    @FunctionalInterface
    public interface Values {
        void writeTo(OutputStream out) throws IOException;
    }

    private SafetensorsWriter() {}

    public static void write(List<Tensor> tensors, Map<String, String> metadata, OutputStream out) throws IOException {
        out.write(header(tensors, metadata));
        for (Tensor t : tensors) t.values().writeTo(out);
    }

    /** The skeleton: length prefix and padded JSON header. */
    public static byte[] header(List<Tensor> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        List<String> entries = new ArrayList<>();
        if (!metadata.isEmpty()) {
            List<String> kv = new ArrayList<>();
            metadata.forEach((k, v) -> kv.add(quote(k) + ":" + quote(v)));
            entries.add("\"__metadata__\":{" + String.join(",", kv) + "}");
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long size = t.dtype().byteSize(t.shape().numel());
            String shape = t.shape().toString();
            entries.add(quote(t.name()) + ":{\"dtype\":\"" + t.dtype() + "\",\"shape\":" + shape + ",\"data_offsets\":["
                    + offset + "," + (offset + size) + "]}");
            offset += size;
        }
        json.append(String.join(",", entries)).append('}');
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (body.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(body);
        while (b.hasRemaining()) b.put((byte) ' ');
        return b.array();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
