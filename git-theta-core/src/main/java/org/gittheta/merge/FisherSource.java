package org.gittheta.merge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.update.ParamDecoder;

/** Where one side's diagonal Fisher values come from: a checkpoint whose parameter names are the model's. */
public sealed interface FisherSource extends AutoCloseable {
    /**
     * The Fisher of {@code param}, empty if the source has none for it.
     * @param arena owns whatever memory the values need
     * @throws BadCheckpointException if the Fisher's shape differs from the parameter's or its type is not float
     */
    Optional<TensorView> values(String param, Shape shape, Arena arena) throws IOException;

    @Override
    void close();

    static FisherSource none() {
        return new None();
    }

    /**
     * A checkpoint file in any supported format (found by content), open while the source is: each parameter's
     * Fisher is mapped in the arena of the parameter's merge, so that the pages read stay in the process only while
     * that parameter is merged (mapping the whole file kept every page read in the merge's resident memory).
     */
    @SuppressWarnings("MustBeClosedChecker") // the channel belongs to the returned object, which closes it
    static FisherSource ofFile(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment content = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            CheckpointFormat format = Formats.detect(
                            content.asSlice(0, Math.min(content.byteSize(), Formats.DETECT_BYTES)))
                    .orElseThrow(() -> new BadCheckpointException(
                            file.toString(), "Fisher file is not a safetensors, PyTorch zip or GGUF checkpoint"));
            return new OfFile(file.toString(), format.read(file.toString(), content), ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A Fisher checkpoint committed with git-theta: values decoded from the store when asked for. */
    static FisherSource ofManifest(String what, Manifest manifest, ParamDecoder decoder) {
        return new OfManifest(what, manifest.byName(), decoder);
    }

    private static TensorView checked(
            String what, String param, Shape expected, DType dtype, Shape shape, MemorySegment values)
            throws BadCheckpointException {
        if (!shape.equals(expected)) {
            throw new BadCheckpointException(what, param, "Fisher has shape " + shape + ", the parameter " + expected);
        }
        if (!TensorView.writable(dtype)) {
            throw new BadCheckpointException(what, param, "Fisher of type " + dtype + " is not a float");
        }
        TensorView view = new TensorView(values, dtype);
        if (view.allFinite()) return view;
        double[] chunk = new double[Chunks.SIZE];
        for (long from = 0, n = view.count(); from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            view.get(from, chunk, count);
            for (int i = 0; i < count; i++) {
                if (!Double.isFinite(chunk[i])) {
                    throw new BadCheckpointException(
                            what, param, "Fisher value " + chunk[i] + " at element " + (from + i) + " is not finite");
                }
            }
        }
        return view;
    }

    record None() implements FisherSource {
        @Override
        public Optional<TensorView> values(String param, Shape shape, Arena arena) {
            return Optional.empty();
        }

        @Override
        public void close() {}
    }

    final class OfFile implements FisherSource {
        private final String file;
        private final Map<String, TensorSlot> slots;
        private final FileChannel channel;

        private OfFile(String file, CheckpointLayout layout, FileChannel channel) {
            this.file = file;
            this.slots = new HashMap<>();
            for (TensorSlot s : layout.tensors()) slots.put(s.name(), s);
            this.channel = channel;
        }

        @Override
        public Optional<TensorView> values(String param, Shape shape, Arena arena) throws IOException {
            TensorSlot s = slots.get(param);
            if (s == null) return Optional.empty();
            MemorySegment values = s.length() == 0
                    ? MemorySegment.NULL
                    : channel.map(FileChannel.MapMode.READ_ONLY, s.offset(), s.length(), arena);
            return Optional.of(checked(file, param, shape, s.dtype(), s.shape(), values));
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    final class OfManifest implements FisherSource {
        private final String what;
        private final Map<String, ParamEntry> entries;
        private final ParamDecoder decoder;

        private OfManifest(String what, Map<String, ParamEntry> entries, ParamDecoder decoder) {
            this.what = what;
            this.entries = entries;
            this.decoder = decoder;
        }

        @Override
        public Optional<TensorView> values(String param, Shape shape, Arena arena) throws IOException {
            ParamEntry e = entries.get(param);
            if (e == null) return Optional.empty();
            return Optional.of(checked(what, param, shape, e.dtype(), e.shape(), Values.decode(decoder, e, arena)));
        }

        @Override
        public void close() {}
    }
}
