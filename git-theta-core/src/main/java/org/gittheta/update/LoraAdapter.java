package org.gittheta.update;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.text.JsonErrors;

/**
 * A PEFT LoRA adapter directory: {@code adapter_config.json} ({@code r}, {@code lora_alpha},
 * {@code target_modules}, {@code fan_in_fan_out}, {@code use_rslora}) and {@code adapter_model.safetensors}
 * with {@code base_model.model.<module>.lora_A.weight} (r × in) and {@code ...lora_B.weight} (out × r).
 * Merged, the parameter {@code <module>.weight} becomes W + scale · B @ A (transposed when fan_in_fan_out),
 * scale = alpha / r, or alpha / sqrt(r) with rsLoRA.
 */
public final class LoraAdapter {
    private static final String PREFIX = "base_model.model.";

    private record Pair(float[] a, Shape aShape, float[] b, Shape bShape) {}

    private final Path dir;
    private final float scale;
    private final boolean fanInFanOut;
    private final Map<String, Pair> byParam;

    private LoraAdapter(Path dir, float scale, boolean fanInFanOut, Map<String, Pair> byParam) {
        this.dir = dir;
        this.scale = scale;
        this.fanInFanOut = fanInFanOut;
        this.byParam = byParam;
    }

    public static LoraAdapter load(Path dir) throws IOException {
        Path config = dir.resolve("adapter_config.json");
        Path weights = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(config) || !Files.isRegularFile(weights)) {
            throw new NoSuchFileException(
                    dir + ": not a PEFT LoRA adapter (needs adapter_config.json and adapter_model.safetensors)");
        }
        Config c = Config.parse(config);
        Map<String, float[]> a = new HashMap<>();
        Map<String, float[]> b = new HashMap<>();
        Map<String, Shape> shapes = new HashMap<>();
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(weights)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            for (TensorSlot t :
                    SafetensorsFormat.INSTANCE.read(weights.toString(), seg).tensors()) {
                String name = t.name().startsWith(PREFIX) ? t.name().substring(PREFIX.length()) : t.name();
                int ia = name.indexOf(".lora_A."), ib = name.indexOf(".lora_B.");
                if (ia < 0 && ib < 0) continue;
                String module = name.substring(0, Math.max(ia, ib));
                if (!c.targets(module)) continue;
                if (t.shape().rank() < 2 || !Reconstruction.appliesTo(t.dtype())) {
                    throw new BadCheckpointException(
                            weights.toString(),
                            t.name(),
                            "LoRA factor must be an F32, F16 or BF16 matrix (or a convolution's kernel)");
                }
                TensorView factor = new TensorView(seg.asSlice(t.offset(), t.length()), t.dtype());
                (ia >= 0 ? a : b).put(module, factor.toFloatArray());
                shapes.put(module + (ia >= 0 ? "/A" : "/B"), t.shape());
            }
        }
        Map<String, Pair> pairs = new HashMap<>();
        for (var e : a.entrySet()) {
            float[] bv = b.get(e.getKey());
            if (bv == null)
                throw new BadCheckpointException(weights.toString(), e.getKey(), "has lora_A but no lora_B");
            pairs.put(
                    e.getKey() + ".weight",
                    new Pair(e.getValue(), shapes.get(e.getKey() + "/A"), bv, shapes.get(e.getKey() + "/B")));
        }
        float scale = (float) (c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r);
        return new LoraAdapter(dir, scale, c.fanInFanOut, Map.copyOf(pairs));
    }

    /** Whether the adapter has factors for {@code param}. */
    boolean covers(String param) {
        return byParam.containsKey(param);
    }

    /** The change to {@code param} of the given shape as a reconstruction, if the adapter has one. */
    Optional<Reconstruction.LowRank> factors(String param, Shape shape) throws BadCheckpointException {
        Pair p = byParam.get(param);
        if (p == null) return Optional.empty();
        long[] a = p.aShape().dims(), b = p.bShape().dims();
        int r = (int) a[0];
        long in = r == 0 ? 0 : p.aShape().numel() / r, out = b[0];
        // a convolution's A is r × in × kernel and its B out × r × 1 × 1 (PEFT's Conv1d/2d/3d): the parameter
        // out × in × kernel is the matrix out × (in · kernel) that B · A makes
        long[] merged = a.clone();
        merged[0] = out;
        Shape expected = fanInFanOut ? Shape.of(in, out) : Shape.of(merged);
        boolean bFits = b.length == a.length
                && b[1] == r
                && Arrays.stream(b, 2, b.length).allMatch(d -> d == 1);
        if (r == 0 || !bFits || !shape.equals(expected)) {
            throw new BadCheckpointException(
                    dir.toString(),
                    param,
                    "LoRA factors A " + p.aShape() + " and B " + p.bShape() + " do not fit the parameter's shape "
                            + shape);
        }
        // left: rows × r, rightT: cols × r, so that delta[i][j] = Σ_k left[i][k] · rightT[j][k]
        float[] aT = transpose(p.a(), r, (int) in);
        return Optional.of(
                fanInFanOut
                        ? new Reconstruction.LowRank(r, in, out, scale, aT, p.b(), true)
                        : new Reconstruction.LowRank(r, out, in, scale, p.b(), aT, true));
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        return t;
    }

    /** The fields of adapter_config.json that define the merge. */
    private record Config(
            int r,
            double alpha,
            boolean fanInFanOut,
            boolean useRslora,
            Optional<Pattern> regex,
            List<String> modules) {
        /** PEFT's rule: a string is a regex over the full module name, a list matches whole trailing name parts. */
        boolean targets(String module) {
            if (regex.isPresent()) return regex.get().matcher(module).matches();
            if (modules.isEmpty()) return true;
            for (String m : modules) if (module.equals(m) || module.endsWith("." + m)) return true;
            return false;
        }

        static Config parse(Path file) throws IOException {
            int r = -1;
            double alpha = Double.NaN;
            boolean fan = false, rs = false;
            Optional<Pattern> regex = Optional.empty();
            List<String> modules = new ArrayList<>();
            try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
                if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(file + ": not a JSON object");
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (field) {
                        case "r" -> r = v == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                        case "lora_alpha" -> alpha = v.isNumeric() ? p.getDoubleValue() : Double.NaN;
                        case "fan_in_fan_out" -> fan = v == JsonToken.VALUE_TRUE;
                        case "use_rslora" -> rs = v == JsonToken.VALUE_TRUE;
                        case "target_modules" -> {
                            if (v == JsonToken.VALUE_STRING) regex = Optional.of(regex(file, p.getText()));
                            else if (v == JsonToken.START_ARRAY)
                                while (p.nextToken() == JsonToken.VALUE_STRING) modules.add(p.getText());
                        }
                        default -> p.skipChildren();
                    }
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + ": not valid JSON: " + JsonErrors.message(e), e);
            }
            if (r <= 0 || Double.isNaN(alpha))
                throw new IOException(file + ": needs a positive whole number 'r' and a number 'lora_alpha'");
            return new Config(r, alpha, fan, rs, regex, modules);
        }

        /** PEFT's target_modules as a string: a regular expression, which Python's re and Java's read alike. */
        private static Pattern regex(Path file, String text) throws IOException {
            try {
                return Pattern.compile(text);
            } catch (PatternSyntaxException e) {
                throw new IOException(
                        file + ": target_modules '" + text + "' is not a regular expression: " + e.getDescription());
            }
        }
    }
}
