package org.gittheta.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.GgufFormat;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.testdata.TestCheckpoints;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safetensors and GGUF are cleaned as they stream in, each tensor read into memory of its own: however the pipe cuts
 * the bytes, the manifest is the one of the whole file and checkout gives the file back byte for byte.
 */
class StreamedCleanTest {
    /** Pieces of every size around the reader's block and the tensors' boundaries. */
    private static final List<Integer> PIECES = List.of(1, 3, 7, 4093, 65_537, 1 << 20, (1 << 20) + 1);

    @TempDir
    Path dir;

    private ObjectStore store() {
        return new ObjectStore(dir.resolve("theta"));
    }

    private byte[] clean(ObjectStore store, InputStream in) throws IOException {
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        new Cleaner(store, new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto()), Progress.NONE, false)
                .clean("m", in, manifest, Optional::empty);
        return manifest.toByteArray();
    }

    private byte[] checkout(ObjectStore store, byte[] manifest) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Smudger(store, new MissingObjects(store, Optional.empty()), Progress.NONE)
                .smudge("m", Manifest.parse(manifest), out);
        return out.toByteArray();
    }

    private void assertStreamsInAnyPieces(byte[] file) throws IOException {
        ObjectStore store = store();
        byte[] whole = clean(store, new ByteArrayInputStream(file));
        for (int piece : PIECES) {
            byte[] manifest = clean(store, new Pieces(new ByteArrayInputStream(file), piece));
            assertThat(manifest).as("manifest, pieces of %d bytes", piece).isEqualTo(whole);
            manifest = clean(store, new SegmentPieces(new ByteArrayInputStream(file), piece));
            assertThat(manifest)
                    .as("manifest, pieces of %d bytes read into memory", piece)
                    .isEqualTo(whole);
        }
        assertThat(checkout(store, whole)).isEqualTo(file);
        assertThat(tempFiles()).isZero();
    }

    @Test
    void aSafetensorsFileInOddSizedPiecesIsStoredAsWhenItArrivesWhole() throws IOException {
        byte[] file = TestCheckpoints.safetensors()
                .seed(5)
                .tensor("embed", DType.BF16, 700, 1030) // larger than the reader's 1 MiB block
                .tensor("empty", DType.F32, 0)
                .tensor("norm", DType.F32, 3)
                .tensor("head", DType.F16, 513, 257)
                .tensor("mask", DType.U8, 5)
                .bytes();
        assertStreamsInAnyPieces(file);
    }

    /**
     * Streamed tensors are read into memory that earlier tensors of the file were read into (and encoded from): each
     * must be stored with its own bytes, none with what a larger one left behind.
     */
    @Test
    void tensorsReadIntoReusedMemoryAreStoredWithTheirOwnBytes() throws IOException {
        TestCheckpoints.SafetensorsBuilder checkpoint =
                TestCheckpoints.safetensors().seed(11);
        for (int i = 0; i < 24; i++) checkpoint.tensor("layer" + i, DType.BF16, 96 + 8 * (i % 5), 300 - 7 * i);
        assertStreamsInAnyPieces(checkpoint.bytes());
    }

    /** GGUF's padding between tensors is part of the skeleton, whatever bytes it holds. */
    @Test
    void aGgufFileKeepsTheBytesBetweenItsTensors() throws IOException {
        byte[] file;
        try (InputStream in = getClass().getResourceAsStream("/testdata/gguf-mixed.gguf")) {
            file = in.readAllBytes();
        }
        List<TensorSlot> slots =
                GgufFormat.INSTANCE.read("m", MemorySegment.ofArray(file)).tensors();
        int padded = 0;
        for (int i = 0; i + 1 < slots.size(); i++) {
            int from = (int) slots.get(i).end(), to = (int) slots.get(i + 1).offset();
            Arrays.fill(file, from, to, (byte) 0x5A);
            padded += to - from;
        }
        assertThat(padded).as("padding between the reference file's tensors").isPositive();
        assertStreamsInAnyPieces(file);
    }

    @Test
    void aStreamEndingInsideATensorIsRefusedLeavingNothingBehind() throws IOException {
        byte[] file = TestCheckpoints.safetensors()
                .seed(6)
                .tensor("a", DType.F32, 300, 1000)
                .tensor("b", DType.F32, 300, 1000)
                .bytes();
        ObjectStore store = store();
        byte[] cut = Arrays.copyOf(file, file.length - 600_000);
        for (InputStream in : List.of(
                new Pieces(new ByteArrayInputStream(cut), 4093),
                new SegmentPieces(new ByteArrayInputStream(cut), 4093))) {
            assertThatThrownBy(() -> clean(store, in))
                    .isInstanceOf(BadCheckpointException.class)
                    .hasMessageContaining(
                            "truncated: the header describes " + file.length + " bytes, the file has " + cut.length);
        }
        assertThat(tempFiles()).isZero();
        assertThat(checkout(store, clean(store, new ByteArrayInputStream(file))))
                .isEqualTo(file);
    }

    private long tempFiles() throws IOException {
        Path tmp = dir.resolve("theta/tmp");
        if (!Files.isDirectory(tmp)) return 0;
        try (var s = Files.list(tmp)) {
            return s.count();
        }
    }

    /** A pipe that hands over at most {@code piece} bytes per read, as git's packets and the kernel's buffers do. */
    /** A stream that, like git's pipe in the filter, reads straight into the tensors' memory, in pieces. */
    private static final class SegmentPieces extends Pieces implements SegmentReads {
        SegmentPieces(InputStream in, int piece) {
            super(in, piece);
        }

        @Override
        public int read(MemorySegment dst) throws IOException {
            byte[] bytes = new byte[(int) Math.min(piece, dst.byteSize())];
            int n = read(bytes, 0, bytes.length);
            if (n > 0) MemorySegment.copy(bytes, 0, dst, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }
    }

    private static class Pieces extends FilterInputStream {
        final int piece;

        Pieces(InputStream in, int piece) {
            super(in);
            this.piece = piece;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, piece));
        }
    }
}
