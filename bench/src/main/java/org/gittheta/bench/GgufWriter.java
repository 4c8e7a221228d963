package org.gittheta.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;

/**
 * Writes a GGUF v3 file the way gguf-py's {@code GGUFWriter} does, streamed: header, {@code general.architecture},
 * tensor infos (dimensions innermost first, offsets from the data section), then each tensor's data padded with zeros
 * to the default alignment of 32. F32, F16 and BF16 tensors.
 */
final class GgufWriter {
    private static final int ALIGNMENT = 32;
    private static final int STRING = 8;

    private GgufWriter() {}

    static void write(String architecture, List<SafetensorsWriter.Tensor> tensors, OutputStream out)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        header.put("GGUF".getBytes(StandardCharsets.US_ASCII))
                .putInt(3)
                .putLong(tensors.size())
                .putLong(1);
        string(header, "general.architecture").putInt(STRING);
        string(header, architecture);
        long offset = 0;
        for (SafetensorsWriter.Tensor t : tensors) {
            long[] dims = t.shape().dims();
            string(header, t.name()).putInt(dims.length);
            for (int i = dims.length - 1; i >= 0; i--) header.putLong(dims[i]);
            header.putInt(ggmlType(t.dtype())).putLong(offset);
            offset = align(offset + t.dtype().byteSize(t.shape().numel()));
        }
        while (header.position() % ALIGNMENT != 0) header.put((byte) 0);
        out.write(header.array(), 0, header.position());
        for (SafetensorsWriter.Tensor t : tensors) {
            t.values().writeTo(out);
            long size = t.dtype().byteSize(t.shape().numel());
            out.write(new byte[(int) (align(size) - size)]);
        }
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static ByteBuffer string(ByteBuffer b, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return b.putLong(utf8.length).put(utf8);
    }

    private static int ggmlType(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 30;
            default -> throw new IllegalArgumentException("GgufWriter writes F32, F16 and BF16, not " + t);
        };
    }
}
