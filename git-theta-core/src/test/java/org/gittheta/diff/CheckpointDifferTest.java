package org.gittheta.diff;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.GgufFormat;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.progress.RecordingProgress;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDifferTest {
    @TempDir
    Path dir;

    private static SafetensorsWriter.Tensor f32(String name, Shape shape, float... v) {
        return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) b.putFloat(f);
            out.write(b.array());
        });
    }

    private FileSnapshot file(String name, SafetensorsWriter.Tensor... tensors) throws IOException {
        return file(name, Map.of(), tensors);
    }

    private FileSnapshot file(String name, Map<String, String> metadata, SafetensorsWriter.Tensor... tensors)
            throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(p)) {
            SafetensorsWriter.write(List.of(tensors), metadata, out);
        }
        return FileSnapshot.open(p, name, SafetensorsFormat.INSTANCE);
    }

    @Test
    void statusesAndStatistics() throws IOException {
        try (FileSnapshot a = file(
                        "a.safetensors",
                        f32("same", Shape.of(2), 1, 2),
                        f32("moved", Shape.of(3), 1, 2, 3),
                        f32("reshaped", Shape.of(2, 3), 1, 2, 3, 4, 5, 6),
                        f32("gone", Shape.of(1), 7));
                FileSnapshot b = file(
                        "b.safetensors",
                        f32("same", Shape.of(2), 1, 2),
                        f32("moved", Shape.of(3), 1, 2, 5),
                        f32("reshaped", Shape.of(3, 2), 1, 2, 3, 4, 5, 6),
                        f32("new", Shape.of(4), 0, 0, 0, 1))) {
            CheckpointDiff d = CheckpointDiffer.diff(a, b);
            assertThat(d.params())
                    .extracting(ParamDiff::name)
                    .containsExactly("gone", "moved", "new", "reshaped", "same");
            assertThat(d.params())
                    .extracting(p -> p.status().label())
                    .containsExactly("removed", "modified", "added", "modified", "unchanged");
            ParamDiff moved = d.params().get(1);
            assertThat(moved.stats().orElseThrow().l2()).isEqualTo(2.0);
            assertThat(moved.stats().orElseThrow().relative()).isEqualTo(2.0 / Math.sqrt(14));
            // a reshape alone moves no values
            assertThat(d.params().get(3).changedElements()).isZero();
            assertThat(d.changedElements()).isEqualTo(1 + 1 + 4);
            assertThat(d.totalElements()).isEqualTo(1 + 3 + 4 + 6 + 2);
            assertThat(d.changed()).hasSize(4);
        }
    }

    /** Quantized blocks have no element values: a change is found by hash and shown without statistics. */
    @Test
    void quantizedParametersOfGgufFilesAreComparedByHash() throws IOException {
        byte[] original;
        try (InputStream in = getClass().getResourceAsStream("/testdata/gguf-mixed.gguf")) {
            original = in.readAllBytes();
        }
        CheckpointLayout layout = GgufFormat.INSTANCE.read("a.gguf", MemorySegment.ofArray(original));
        byte[] changed = original.clone();
        for (String name : List.of("blk.0.attn_q.weight", "token_embd.weight")) {
            changed[(int) layout.tensor(name).orElseThrow().offset() + 5] ^= 1;
        }
        Files.write(dir.resolve("a.gguf"), original);
        Files.write(dir.resolve("b.gguf"), changed);
        try (FileSnapshot a = FileSnapshot.open(dir.resolve("a.gguf"), "a.gguf", GgufFormat.INSTANCE);
                FileSnapshot b = FileSnapshot.open(dir.resolve("b.gguf"), "b.gguf", GgufFormat.INSTANCE)) {
            CheckpointDiff d = CheckpointDiffer.diff(a, b);
            assertThat(d.params())
                    .extracting(p -> p.name() + " " + p.status().label())
                    .containsExactly(
                            "blk.0.attn_norm.weight unchanged", "blk.0.attn_q.weight modified",
                            "blk.0.ffn_up.weight unchanged", "token_embd.weight modified");
            assertThat(d.params().get(1).stats()).isEmpty();
            assertThat(d.params().get(3).stats().orElseThrow().changed()).isEqualTo(1);
        }
    }

    @Test
    void onlyIncludedParametersAreCompared() throws IOException {
        try (FileSnapshot a = file("a.safetensors", f32("x", Shape.of(1), 1), f32("y", Shape.of(1), 1));
                FileSnapshot b = file("b.safetensors", f32("x", Shape.of(1), 2), f32("y", Shape.of(1), 3))) {
            RecordingProgress progress = new RecordingProgress();
            assertThat(CheckpointDiffer.diff(a, b, n -> n.equals("y"), progress, "comparing b")
                            .params())
                    .extracting(ParamDiff::name)
                    .containsExactly("y");
            assertThat(progress.finished()).as("y's 4 bytes").containsExactly("comparing b: 4 of 4");
        }
    }

    @Test
    void aChangeOfTheHeaderAloneIsAChangeOfTheFile() throws IOException {
        try (FileSnapshot a = file("a.safetensors", f32("x", Shape.of(1), 1));
                FileSnapshot same = file("same.safetensors", f32("x", Shape.of(1), 1));
                FileSnapshot b = file("b.safetensors", Map.of("format", "pt"), f32("x", Shape.of(1), 1))) {
            CheckpointDiff unchanged = CheckpointDiffer.diff(a, same);
            assertThat(unchanged.skeletonChanged()).isFalse();
            assertThat(unchanged.fileChanged()).isFalse();
            CheckpointDiff d = CheckpointDiffer.diff(a, b);
            assertThat(d.changed()).isEmpty();
            assertThat(d.skeletonChanged()).isTrue();
            assertThat(d.fileChanged()).isTrue();
        }
    }
}
