package org.gittheta.filter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.gittheta.bench.Samples;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** One filter request's framing: a command, a path and 1 MiB of content in pkt-lines, written and read back. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PktLineBench {
    private byte[] content;
    private byte[] framed;
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream(2 * Samples.CHUNK_BYTES);

    @Setup
    public void setUp() throws IOException {
        content = Samples.bf16Weights(Samples.CHUNK_BYTES, 1);
        framed = write().toByteArray();
    }

    @Benchmark
    public ByteArrayOutputStream write() throws IOException {
        sink.reset();
        PktLineWriter writer = new PktLineWriter(sink);
        writer.writeText("command=clean");
        writer.writeText("pathname=model.safetensors");
        writer.flush();
        try (OutputStream body = writer.contentStream()) {
            body.write(content);
        }
        return sink;
    }

    @Benchmark
    public byte[] read() throws IOException {
        PktLineReader reader = new PktLineReader(new ByteArrayInputStream(framed));
        reader.readTextList();
        try (InputStream body = reader.contentStream()) {
            return body.readAllBytes();
        }
    }
}
