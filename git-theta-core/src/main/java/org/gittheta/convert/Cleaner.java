package org.gittheta.convert;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.progress.Progress;
import org.gittheta.store.DiskSpace;
import org.gittheta.store.MappedWrites;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;

/**
 * Turns a checkpoint streamed in by Git into a manifest, storing each parameter whose values changed. The format is
 * found by content. A format whose skeleton is a prefix of the file (safetensors, GGUF) is streamed: the rest is
 * copied into a memory-mapped temporary file and each tensor is hashed and stored as soon as its last byte has
 * arrived. Any other file (a torch zip, whose directory comes last, or one stored whole) is first spooled to a
 * temporary file, then split and stored from its mapping. Both paths store parameters the same way.
 */
public final class Cleaner {
    private static final int BLOCK = 1 << 20;
    // four per core: a task waiting for its object's fsync leaves its core to another, and concurrent fsyncs share
    // the file system's journal commits (on a busy disk each fsync waits for tens of milliseconds)
    private static final int TENSORS_IN_FLIGHT = 4 * Runtime.getRuntime().availableProcessors();

    private final ObjectStore store;
    private final ParamEncoder encoder;
    private final Progress progress;
    private final boolean refuseWhole;

    /** @param refuseWhole refuse files that cannot be split instead of storing them whole ({@code theta.opaque}) */
    public Cleaner(ObjectStore store, ParamEncoder encoder, Progress progress, boolean refuseWhole) {
        this.store = store;
        this.encoder = encoder;
        this.progress = progress;
        this.refuseWhole = refuseWhole;
    }

    /** The manifest this version replaces (the staged one), read only when the content is a checkpoint. */
    @FunctionalInterface
    public interface Previous {
        Optional<Manifest> manifest() throws IOException;
    }

    /** A file's manifest and, when it was stored whole, why. */
    record Stored(Manifest manifest, Optional<String> storedWhole) {}

    /**
     * Clean as Git's filter asks for it: a checkpoint becomes its manifest. Content that already is a manifest
     * (added with the filter off) is kept as it is once it has been validated completely.
     */
    public CleanResult clean(String file, InputStream content, OutputStream out, Previous previous) throws IOException {
        BufferedInputStream in = new BufferedInputStream(content, 1 << 16);
        if (Manifests.startsLikeOne(in)) {
            out.write(Manifests.validBytes(file, in));
            return CleanResult.SPLIT;
        }
        try {
            Stored stored = clean(file, in, previous);
            store.sync(); // the objects are on disk before Git can record a manifest naming them
            out.write(stored.manifest().toBytes());
            return new CleanResult(stored.storedWhole());
        } catch (IOException e) {
            throw Manifests.withPath(file, e);
        }
    }

    /** Finds the format from the first bytes, which stay in the stream. */
    Stored clean(String file, BufferedInputStream in, Previous previous) throws IOException {
        in.mark(Formats.DETECT_BYTES);
        MemorySegment head = MemorySegment.ofArray(in.readNBytes(Formats.DETECT_BYTES));
        in.reset();
        Optional<CheckpointFormat> format = Formats.detect(head);
        if (format.isEmpty()) refuseIfAsked(file, Formats.notSplitBecause(head));
        if (format.isPresent() && format.get().streamsFromPrefix()) {
            return new Stored(clean(file, format.get(), in, previous.manifest()), Optional.empty());
        }
        return spooled(file, in, previous);
    }

    private void refuseIfAsked(String file, String why) throws BadCheckpointException {
        if (refuseWhole) {
            throw new BadCheckpointException(file, "refused (theta.opaque=refuse): cannot be split: " + why);
        }
    }

    /**
     * Streams a format whose skeleton is a prefix of the file.
     * @param file     the path Git names, for messages
     * @param previous the manifest this version replaces (the staged one), to reuse unchanged parameters
     */
    Manifest clean(String file, CheckpointFormat format, InputStream in, Optional<Manifest> previous)
            throws IOException {
        byte[] skeleton = format.readSkeletonPrefix(file, in);
        CheckpointLayout layout = format.fromSkeleton(file, skeleton);
        Path tmp = store.newTempFile();
        try (Progress.Task task = progress.start("storing " + file, layout.fileSize());
                Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Encoding encoding = new Encoding(previous)) {
            // written with write(2), read through a read-only mapping: stores through a writable mapping of the
            // new file would fault every page in, zero-filled, before overwriting it (profiled: a third of the
            // filter's kernel time)
            if (layout.fileSize() > 0) ch.write(ByteBuffer.allocate(1), layout.fileSize() - 1);
            MemorySegment mapped = layout.fileSize() == 0
                    ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, layout.fileSize(), arena);
            task.advance(skeleton.length); // the header is read already: progress ends at the file size
            try {
                readAndSubmit(file, in, layout, skeleton, ch, mapped, encoding, task);
            } catch (IOException e) {
                throw DiskSpace.explained(tmp, e);
            } catch (InternalError e) {
                throw MappedWrites.failed(tmp, e);
            }
            // the prefix holds the header; padding between tensors (GGUF) is skeleton too: only the whole file has it
            byte[] wholeSkeleton = format.read(file, mapped).skeleton();
            List<ParamEntry> entries = encoding.entries();
            return new Manifest(
                    format.name(), withStoredValues(file, format, wholeSkeleton, entries), layout.fileSize(), entries);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Copies the stream into the temporary file, submitting each tensor once its last byte has arrived. */
    private static void readAndSubmit(
            String file,
            InputStream in,
            CheckpointLayout layout,
            byte[] skeleton,
            FileChannel ch,
            MemorySegment mapped,
            Encoding encoding,
            Progress.Task task)
            throws IOException {
        // the whole file, so that its skeleton can be read back once every byte has arrived
        writeAt(ch, skeleton, skeleton.length, 0);
        long pos = skeleton.length;
        int next = 0;
        List<TensorSlot> tensors = layout.tensors();
        byte[] block = new byte[BLOCK];
        while (true) {
            while (next < tensors.size() && tensors.get(next).end() <= pos) {
                encoding.submit(tensors.get(next++), mapped);
            }
            if (pos == layout.fileSize()) break;
            int want = (int) Math.min(BLOCK, layout.fileSize() - pos);
            int n = in.readNBytes(block, 0, want);
            if (n < want) {
                throw new BadCheckpointException(
                        file,
                        "truncated: the header describes " + layout.fileSize() + " bytes, the file has " + (pos + n));
            }
            writeAt(ch, block, n, pos);
            pos += n;
            task.advance(n);
        }
        if (in.read() >= 0) {
            throw new BadCheckpointException(
                    file,
                    "unexpected data after the last tensor (the header describes " + layout.fileSize() + " bytes)");
        }
    }

    private static void writeAt(FileChannel ch, byte[] bytes, int length, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
        while (buffer.hasRemaining()) ch.write(buffer, position + buffer.position());
    }

    /** Reads the whole stream into a temporary file, then splits it by content and stores it from the mapping. */
    private Stored spooled(String file, InputStream in, Previous previous) throws IOException {
        Path tmp = store.newTempFile();
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size;
            try (Progress.Task task = progress.start("reading " + file, 0)) {
                size = spool(in, ch, task);
            } catch (IOException e) {
                throw DiskSpace.explained(tmp, e);
            }
            MemorySegment mapped =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Formats.Split split = Formats.split(file, mapped);
            if (split.storedWhole().isPresent())
                refuseIfAsked(file, split.storedWhole().get());
            CheckpointLayout layout = split.layout();
            try (Progress.Task task = progress.start("storing " + file, size);
                    Encoding encoding = new Encoding(previous.manifest())) {
                task.advance(layout.skeletonLength());
                for (TensorSlot slot : layout.tensors()) {
                    encoding.submit(slot, mapped);
                    task.advance(slot.length());
                }
                List<ParamEntry> entries = encoding.entries();
                CheckpointFormat format = Formats.byName(layout.format()).orElseThrow();
                byte[] skeleton = withStoredValues(file, format, layout.skeleton(), entries);
                return new Stored(new Manifest(layout.format(), skeleton, size, entries), split.storedWhole());
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The skeleton of the version stored: where values were stored other than the file's (update data applied,
     * lossy factors), the format recomputes what its skeleton says about them (a torch zip's CRC-32s).
     */
    private byte[] withStoredValues(String file, CheckpointFormat format, byte[] skeleton, List<ParamEntry> entries)
            throws IOException {
        Map<String, ParamEntry> changed = new HashMap<>();
        for (ParamEntry e : entries) if (encoder.changedValues(e)) changed.put(e.name(), e);
        if (changed.isEmpty()) return skeleton;
        ParamDecoder decoder = new ParamDecoder(store);
        return format.withValues(
                file, skeleton, changed.keySet(), (slot, out) -> decoder.decode(changed.get(slot.name()), out));
    }

    private static long spool(InputStream in, FileChannel ch, Progress.Task task) throws IOException {
        byte[] block = new byte[BLOCK];
        long size = 0;
        for (int n; (n = in.readNBytes(block, 0, BLOCK)) > 0; ) {
            writeAt(ch, block, n, size);
            size += n;
            task.advance(n);
        }
        return size;
    }

    /**
     * The parameters of one file on their way into the store: at most four tasks per core at a time, each
     * compressing its chunks in parallel; an unchanged parameter keeps its old entry.
     */
    private final class Encoding implements AutoCloseable {
        private final Semaphore slots = new Semaphore(TENSORS_IN_FLIGHT);
        private final List<Future<ParamEntry>> pending = new ArrayList<>();
        private final Map<String, ParamEntry> before;

        Encoding(Optional<Manifest> previous) {
            this.before = previous.map(Manifest::byName).orElse(Map.of());
        }

        void submit(TensorSlot slot, MemorySegment file) throws IOException {
            MemorySegment values = file.asSlice(slot.offset(), slot.length());
            if (encoder.inlines(slot.length())) {
                // a few bytes hashed into the manifest line: a task of its own would cost more than the work
                Optional<ParamEntry> previous = Optional.ofNullable(before.get(slot.name()));
                pending.add(CompletableFuture.completedFuture(
                        encoder.encode(slot.name(), slot.dtype(), slot.shape(), values, previous)));
                return;
            }
            acquire(slots);
            pending.add(Ordered.submit(() -> {
                try {
                    return encoder.encode(
                            slot.name(),
                            slot.dtype(),
                            slot.shape(),
                            values,
                            Optional.ofNullable(before.get(slot.name())));
                } finally {
                    slots.release();
                }
            }));
        }

        /** Every entry, in file order; the first failure is thrown. */
        List<ParamEntry> entries() throws IOException {
            List<ParamEntry> entries = new ArrayList<>();
            for (Future<ParamEntry> f : pending) entries.add(Ordered.await(f));
            return entries;
        }

        /** The tasks read the mapped file: lets them finish before it is unmapped. */
        @Override
        public void close() {
            for (Future<ParamEntry> f : pending) {
                try {
                    f.get();
                } catch (Exception ignored) {
                    // the first failure is reported by entries()
                }
            }
        }
    }

    private static void acquire(Semaphore s) throws IOException {
        try {
            s.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
