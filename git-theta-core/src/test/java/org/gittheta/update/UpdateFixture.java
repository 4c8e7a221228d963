package org.gittheta.update;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.testing.FileTrees;

/** A temporary object store plus helpers to encode versions of one parameter and decode them back. */
final class UpdateFixture implements AutoCloseable {
    final Path dir;
    final ObjectStore store;

    UpdateFixture() throws IOException {
        dir = Files.createTempDirectory("theta-update");
        store = new ObjectStore(dir.resolve("lfs"));
    }

    ParamEntry encode(
            UpdateOptions options, String name, DType t, Shape shape, byte[] values, Optional<ParamEntry> previous)
            throws IOException {
        return new ParamEncoder(store, Codec.ZSTD, options)
                .encode(name, t, shape, MemorySegment.ofArray(values), previous);
    }

    byte[] decode(ParamEntry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ParamDecoder(store).decode(e, out);
        return out.toByteArray();
    }

    static UpdateOptions forced(UpdateKind kind) {
        return new UpdateOptions(Optional.of(kind), Optional.empty(), 8);
    }

    /** Random raw bits, with NaN, ±Inf, -0.0 and subnormals sprinkled in for float types. */
    static byte[] randomValues(DType t, long numel, SplittableRandom rnd) {
        byte[] b = new byte[Math.toIntExact(t.byteSize(numel))];
        MemorySegment s = MemorySegment.ofArray(b);
        for (long i = 0; i < numel && Reconstruction.appliesTo(t); i++) {
            float v = switch (rnd.nextInt(40)) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> Float.NEGATIVE_INFINITY;
                case 3 -> -0.0f;
                case 4 -> Float.MIN_VALUE * rnd.nextInt(1, 1000);
                case 5 -> 1e-40f * rnd.nextInt(1, 100); // subnormal in f32 and bf16, flushes in f16
                default -> (float) (0.02 * rnd.nextGaussian());
            };
            new TensorView(s, t).setFloat(i, v);
        }
        if (!Reconstruction.appliesTo(t)) rnd.nextBytes(b);
        return b;
    }

    /**
     * Writes a PEFT adapter dir for one module with the given factors (f32): A r x in and B out x r, or a
     * convolution's A r x in x kernel and B out x r x 1 x 1.
     */
    Path adapter(
            String module,
            Shape aShape,
            Shape bShape,
            float[] a,
            float[] b,
            double alpha,
            boolean rslora,
            boolean fanInFanOut)
            throws IOException {
        Path d = Files.createTempDirectory(dir, "adapter");
        Files.writeString(
                d.resolve("adapter_config.json"),
                "{\"peft_type\":\"LORA\",\"r\":" + aShape.dims()[0] + ",\"lora_alpha\":" + alpha
                        + ",\"target_modules\":[\"" + module.substring(module.lastIndexOf('.') + 1)
                        + "\"],\"fan_in_fan_out\":" + fanInFanOut
                        + ",\"use_rslora\":" + rslora + ",\"lora_dropout\":0.0}");
        String p = "base_model.model." + module;
        try (OutputStream o = Files.newOutputStream(d.resolve("adapter_model.safetensors"))) {
            SafetensorsWriter.write(
                    List.of(
                            new SafetensorsWriter.Tensor(
                                    p + ".lora_A.weight", DType.F32, aShape, s -> s.write(TensorView.f32Bytes(a))),
                            new SafetensorsWriter.Tensor(
                                    p + ".lora_B.weight", DType.F32, bShape, s -> s.write(TensorView.f32Bytes(b)))),
                    Map.of("format", "pt"),
                    o);
        }
        return d;
    }

    @Override
    public void close() throws IOException {
        FileTrees.delete(dir);
    }
}
