package org.gittheta.format;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Parsing and validating the JSON header of a safetensors file with 1000 tensors. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HeaderBench {
    private static final int TENSORS = 1000;
    private static final int TENSOR_BYTES = 16;

    private MemorySegment file;

    @Setup
    public void setUp() {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        for (int i = 0; i < TENSORS; i++) {
            json.append(",\"model.layers.")
                    .append(i / 10)
                    .append(".mlp.proj_")
                    .append(i % 10)
                    .append(".weight\":")
                    .append("{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[")
                    .append((long) i * TENSOR_BYTES)
                    .append(',')
                    .append((long) (i + 1) * TENSOR_BYTES)
                    .append("]}");
        }
        json.append('}');
        while (json.length() % 8 != 0) json.append(' ');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .array());
        out.writeBytes(header);
        out.writeBytes(new byte[TENSORS * TENSOR_BYTES]);
        file = MemorySegment.ofArray(out.toByteArray());
    }

    @Benchmark
    public CheckpointLayout parseSafetensorsHeader() throws BadCheckpointException {
        return SafetensorsFormat.INSTANCE.read("bench.safetensors", file);
    }
}
