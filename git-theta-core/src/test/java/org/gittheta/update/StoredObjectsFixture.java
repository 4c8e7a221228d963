package org.gittheta.update;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;

/**
 * Stores one version chain of every update kind (sparse in both index encodings, XOR, ia3, low-rank from a
 * LoRA adapter, lossy low-rank in F32 and F64) from fixed values, as {@code lfs/} + {@code manifest}, whose
 * sha256 of each parameter is that of the values given (of the reconstruction for lossy). The copy under
 * {@code src/test/resources/stored-v1} was written by the encoder as it was before the element view and the
 * decoder were rewritten; {@link StoredObjectsTest} checks that they still decode and are still written the same.
 * Regenerate (only for a deliberate format change) with {@code main(<dir>)}.
 */
final class StoredObjectsFixture {
    static final String MANIFEST = "manifest";

    private final ObjectStore store;
    private final List<ParamEntry> entries = new ArrayList<>();

    private StoredObjectsFixture(Path dir) {
        this.store = new ObjectStore(dir.resolve("lfs"));
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]));
    }

    static Manifest write(Path dir) throws IOException {
        StoredObjectsFixture f = new StoredObjectsFixture(dir);
        f.bf16Series(dir.resolve("adapter"));
        f.lossy(DType.F32);
        f.lossy(DType.F64);
        f.f16Ia3();
        f.integersWithLz4();
        long size = f.entries.stream().mapToLong(ParamEntry::byteSize).sum(); // a file of these tensors, no header
        Manifest m = new Manifest("safetensors", new byte[0], size, f.entries);
        Files.write(dir.resolve(MANIFEST), m.toBytes());
        return m;
    }

    private ParamEntry add(
            String name, DType t, Shape shape, byte[] v, UpdateOptions options, Codec codec, ParamEntry previous)
            throws IOException {
        ParamEntry e = new ParamEncoder(store, codec, options)
                .encode(name, t, shape, MemorySegment.ofArray(v), Optional.ofNullable(previous));
        entries.add(e);
        return e;
    }

    private static UpdateOptions forced(UpdateKind kind) {
        return new UpdateOptions(Optional.of(kind), Optional.empty(), UpdateOptions.DEFAULT_MAX_CHAIN_DEPTH);
    }

    /** Two chunks of bf16 on few levels (so the resource stays small), then one version per kind. */
    private void bf16Series(Path adapterDir) throws IOException {
        int rows = 1024, cols = 700, r = 4;
        Shape shape = Shape.of(rows, cols);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = ((int) ((i * 2654435761L) >>> 7 & 7) - 4) * 0.0625f;
        ParamEntry p = add("series@dense", DType.BF16, shape, bf16(w), UpdateOptions.auto(), Codec.ZSTD, null);
        for (int i = 0; i < w.length; i += 997) w[i] += 0.5f;
        p = add("series@sparse-varint", DType.BF16, shape, bf16(w), UpdateOptions.auto(), Codec.ZSTD, p);
        for (int i = 1; i < w.length; i += 5) w[i] = -w[i];
        p = add("series@sparse-bitmap", DType.BF16, shape, bf16(w), forced(UpdateKind.SPARSE), Codec.ZSTD, p);
        for (int i = 0; i < w.length; i++) w[i] *= 1.25f;
        p = add("series@xor", DType.BF16, shape, bf16(w), forced(UpdateKind.XOR_DELTA), Codec.ZSTD, p);
        for (int i = 0; i < w.length; i++) w[i] *= 1 + (i % cols % 9) * 0.125f;
        p = add("series@ia3", DType.BF16, shape, bf16(w), forced(UpdateKind.IA3), Codec.ZSTD, p);
        float[] a = new float[r * cols], b = new float[rows * r];
        for (int i = 0; i < a.length; i++) a[i] = (i % 13 - 6) * 0.01f;
        for (int i = 0; i < b.length; i++) b[i] = (i % 7 - 3) * 0.02f;
        float scale = 8f / r;
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                float d = 0;
                for (int k = 0; k < r; k++) d += b[row * r + k] * a[k * cols + col];
                w[row * cols + col] += scale * d;
            }
        }
        writeAdapter(adapterDir, "series", r, cols, rows, a, b);
        UpdateOptions lora = new UpdateOptions(
                Optional.of(UpdateKind.LOW_RANK),
                Optional.of(LoraAdapter.load(adapterDir)),
                UpdateOptions.DEFAULT_MAX_CHAIN_DEPTH);
        add("series.weight", DType.BF16, shape, bf16(w), lora, Codec.ZSTD, p);
    }

    private void lossy(DType t) throws IOException {
        int rows = 64, cols = 48;
        Shape shape = Shape.of(rows, cols);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = Math.sin(i * 0.37) * 0.1;
        ParamEntry p = add(t + "@dense", t, shape, wide(t, w), UpdateOptions.auto(), Codec.ZSTD, null);
        for (int i = 0; i < w.length; i++) {
            w[i] += 0.01 * Math.cos(i / cols * 0.5) * Math.sin(i % cols * 0.3) + 1e-4 * Math.sin(i);
        }
        UpdateOptions options = new UpdateOptions(
                Optional.of(UpdateKind.LOW_RANK),
                Optional.empty(),
                UpdateOptions.DEFAULT_MAX_CHAIN_DEPTH,
                OptionalInt.of(2),
                true,
                Optional.empty());
        add(t + "@lossy", t, shape, wide(t, w), options, Codec.ZSTD, p);
    }

    private void f16Ia3() throws IOException {
        int rows = 32, cols = 40;
        Shape shape = Shape.of(rows, cols);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.cos(i * 0.11);
        ParamEntry p = add("f16@dense", DType.F16, shape, f16(w), UpdateOptions.auto(), Codec.ZSTD, null);
        for (int i = 0; i < w.length; i++) w[i] *= 1 + (i / cols) * 0.03f;
        add("f16@ia3", DType.F16, shape, f16(w), forced(UpdateKind.IA3), Codec.ZSTD, p);
    }

    private void integersWithLz4() throws IOException {
        int n = 5000;
        ByteBuffer v = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) v.putInt(i * i);
        ParamEntry p =
                add("i32@dense", DType.I32, Shape.of(n), v.array().clone(), UpdateOptions.auto(), Codec.LZ4, null);
        for (int i = 0; i < n; i++) v.putInt(4 * i, i * i + i % 3);
        p = add("i32@xor", DType.I32, Shape.of(n), v.array().clone(), forced(UpdateKind.XOR_DELTA), Codec.LZ4, p);
        v.putInt(4 * 17, -1);
        p = add("i32@sparse", DType.I32, Shape.of(n), v.array().clone(), UpdateOptions.auto(), Codec.LZ4, p);
        byte[] fp8 = new byte[3000];
        for (int i = 0; i < fp8.length; i++) fp8[i] = (byte) (i * 31 % 120);
        p = add("f8@dense", DType.F8_E4M3, Shape.of(fp8.length), fp8.clone(), UpdateOptions.auto(), Codec.LZ4, null);
        fp8[2999] = 0x7e;
        add("f8@sparse", DType.F8_E4M3, Shape.of(fp8.length), fp8, UpdateOptions.auto(), Codec.LZ4, p);
    }

    private static byte[] bf16(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(2 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : w) b.putShort(Floats.floatToBf16(f));
        return b.array();
    }

    private static byte[] f16(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(2 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : w) b.putShort(Floats.floatToF16(f));
        return b.array();
    }

    private static byte[] wide(DType t, double[] w) {
        ByteBuffer b = ByteBuffer.allocate((int) t.byteSize(w.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : w) {
            if (t == DType.F64) b.putDouble(d);
            else b.putFloat((float) d);
        }
        return b.array();
    }

    private static byte[] f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    /** A PEFT adapter for {@code module}: A is r × in, B is out × r, alpha 8. */
    private static void writeAdapter(Path d, String module, int r, long in, long out, float[] a, float[] b)
            throws IOException {
        Files.createDirectories(d);
        Files.writeString(
                d.resolve("adapter_config.json"),
                "{\"r\":" + r + ",\"lora_alpha\":8,\"target_modules\":[\"" + module + "\"]}");
        String p = "base_model.model." + module;
        try (OutputStream o = Files.newOutputStream(d.resolve("adapter_model.safetensors"))) {
            SafetensorsWriter.write(
                    List.of(
                            new SafetensorsWriter.Tensor(
                                    p + ".lora_A.weight", DType.F32, Shape.of(r, in), s -> s.write(f32(a))),
                            new SafetensorsWriter.Tensor(
                                    p + ".lora_B.weight", DType.F32, Shape.of(out, r), s -> s.write(f32(b)))),
                    Map.of("format", "pt"),
                    o);
        }
    }
}
