package org.gittheta.repo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;
import org.gittheta.update.ParamDecoder;

/** One committed version of a checkpoint, read parameter by parameter from the object store without checking it out. */
public final class Checkpoint {
    /** A parameter's name, element type and shape. */
    public record Parameter(String name, DType dtype, Shape shape) {}

    private final String what;
    private final Map<String, ParamEntry> entries;
    private final ParamDecoder decoder;

    Checkpoint(String what, Manifest manifest, ParamDecoder decoder) {
        this.what = what;
        this.entries = manifest.byName();
        this.decoder = decoder;
    }

    /** Every parameter, in the manifest's order. */
    public List<Parameter> parameters() {
        return entries.values().stream()
                .map(e -> new Parameter(e.name(), e.dtype(), e.shape()))
                .toList();
    }

    public Parameter parameter(String name) throws IOException {
        ParamEntry e = entry(name);
        return new Parameter(e.name(), e.dtype(), e.shape());
    }

    /** Writes the parameter's values as the checkpoint file holds them (little-endian, row-major), chunk by chunk. */
    public void writeValues(String name, OutputStream out) throws IOException {
        decoder.decode(entry(name), out);
    }

    /** The values of a floating-point parameter (F64, F32, F16 or BF16) as floats. */
    public float[] floats(String name) throws IOException {
        ParamEntry e = entry(name);
        if (!e.dtype().isFloat() || e.dtype().bits() < 16) {
            throw new IOException(what + ": parameter '" + name + "' is " + e.dtype() + ", not a float type");
        }
        if (e.byteSize() > Integer.MAX_VALUE - 8) {
            throw new IOException(what + ": parameter '" + name + "' is too large for one array; use writeValues");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) e.byteSize());
        decoder.decode(e, bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) e.shape().numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (e.dtype()) {
                case F64 -> (float) b.getDouble();
                case F32 -> b.getFloat();
                case F16 -> Floats.f16ToFloat(b.getShort());
                case BF16 -> Floats.bf16ToFloat(b.getShort());
                default -> throw new IllegalStateException("checked above: " + e.dtype());
            };
        }
        return out;
    }

    private ParamEntry entry(String name) throws IOException {
        ParamEntry e = entries.get(name);
        if (e == null) throw new IOException(what + ": no parameter '" + name + "'");
        return e;
    }
}
