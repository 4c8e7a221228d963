package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.format.TensorSlot;
import org.gittheta.format.TorchZipFormat;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.Test;

/** Values already stored are not stored again, whatever parameter, file or format they come back in. */
class DedupByValueTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = DedupByValueTest.class.getResourceAsStream("/testdata/" + name)) {
            return in.readAllBytes();
        }
    }

    /** Encodes every tensor of a file as the clean filter does, each against its previous version if any. */
    private static Map<String, ParamEntry> encodeFile(
            UpdateFixture f, CheckpointFormat format, String file, byte[] bytes, Map<String, ParamEntry> previous)
            throws IOException {
        MemorySegment content = MemorySegment.ofArray(bytes);
        CheckpointLayout layout = format.read(file, content);
        Map<String, ParamEntry> out = new HashMap<>();
        for (TensorSlot s : layout.tensors()) {
            MemorySegment values = content.asSlice(s.offset(), s.length());
            out.put(
                    s.name(),
                    new ParamEncoder(f.store, Codec.ZSTD, UpdateOptions.auto())
                            .encode(
                                    s.name(),
                                    s.dtype(),
                                    s.shape(),
                                    values,
                                    Optional.ofNullable(previous.get(s.name()))));
        }
        return out;
    }

    private static long[] objectsAndBytes(UpdateFixture f) throws IOException {
        List<Path> files = StoreFiles.filesBelow(f.store.objectsDir());
        return new long[] {files.size(), StoreFiles.totalSize(files)};
    }

    @Test
    void convertingATorchCheckpointToSafetensorsStoresNoNewObjects() throws IOException {
        try (UpdateFixture f = new UpdateFixture()) {
            byte[] base = resource("pytorch_model.bin");
            byte[] tuned = resource("pytorch_model-ft.bin");
            Map<String, ParamEntry> v1 = encodeFile(f, TorchZipFormat.INSTANCE, "pytorch_model.bin", base, Map.of());
            Map<String, ParamEntry> v2 = encodeFile(f, TorchZipFormat.INSTANCE, "pytorch_model.bin", tuned, v1);
            assertThat(v2.get("layers.1.weight").sha256())
                    .isNotEqualTo(v1.get("layers.1.weight").sha256());
            long[] stored = objectsAndBytes(f);

            // the same values written as safetensors: a new file, so no previous version of any parameter
            MemorySegment content = MemorySegment.ofArray(tuned);
            List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
            for (TensorSlot s :
                    TorchZipFormat.INSTANCE.read("pytorch_model.bin", content).tensors()) {
                byte[] values = content.asSlice(s.offset(), s.length()).toArray(ValueLayout.JAVA_BYTE);
                tensors.add(new SafetensorsWriter.Tensor(s.name(), s.dtype(), s.shape(), out -> out.write(values)));
            }
            ByteArrayOutputStream converted = new ByteArrayOutputStream();
            SafetensorsWriter.write(tensors, Map.of("format", "pt"), converted);
            Map<String, ParamEntry> st =
                    encodeFile(f, SafetensorsFormat.INSTANCE, "model.safetensors", converted.toByteArray(), Map.of());

            assertThat(objectsAndBytes(f)).as("objects and bytes in the store").containsExactly(stored);
            assertThat(st.keySet()).isEqualTo(v2.keySet());
            for (var e : st.entrySet()) {
                ParamEntry t = v2.get(e.getKey());
                assertThat(e.getValue().objects()).as(e.getKey()).isEqualTo(t.objects());
                assertThat(e.getValue().update()).as(e.getKey()).isEqualTo(t.update());
            }
        }
    }

    @Test
    void valuesNewToAParameterReuseTheirStoredFormInsteadOfADelta() throws IOException {
        try (UpdateFixture f = new UpdateFixture()) {
            SplittableRandom rnd = new SplittableRandom(7);
            Shape shape = Shape.of(256, 256);
            byte[] a = UpdateFixture.randomValues(DType.F32, shape.numel(), rnd);
            byte[] b = a.clone();
            for (int i = 0; i < 40; i++) b[i * 97] ^= 1;
            ParamEntry va = f.encode(UpdateOptions.auto(), "w", DType.F32, shape, a, Optional.empty());
            ParamEntry vb = f.encode(UpdateOptions.auto(), "w", DType.F32, shape, b, Optional.of(va));
            assertThat(vb.update()).isEqualTo("sparse");
            byte[] c = a.clone();
            for (int i = 0; i < 40; i++) c[i * 89 + 1] ^= 2;
            ParamEntry vc = f.encode(UpdateOptions.auto(), "other", DType.F32, shape, c, Optional.of(va));
            long[] stored = objectsAndBytes(f);

            // b under another name whose previous version is c: the stored sparse form of b, not a delta against c
            ParamEntry moved = f.encode(UpdateOptions.auto(), "other", DType.F32, shape, b, Optional.of(vc));
            assertThat(moved.name()).isEqualTo("other");
            assertThat(moved.objects()).isEqualTo(vb.objects());
            // a revert to a: its dense object again
            ParamEntry revert = f.encode(UpdateOptions.auto(), "w", DType.F32, shape, a, Optional.of(vb));
            assertThat(revert.objects()).isEqualTo(va.objects());
            assertThat(objectsAndBytes(f)).containsExactly(stored);
            assertThat(f.decode(moved)).isEqualTo(b);

            // a forced kind other than the stored form is honoured: b stored dense
            UpdateOptions dense = UpdateFixture.forced(UpdateKind.DENSE);
            ParamEntry again = f.encode(dense, "w", DType.F32, shape, b, Optional.of(va));
            assertThat(again.update()).isEqualTo("dense");
            assertThat(again.objects()).isNotEqualTo(vb.objects());
        }
    }
}
