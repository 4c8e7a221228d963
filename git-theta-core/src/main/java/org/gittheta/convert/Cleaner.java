package org.gittheta.convert;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.gittheta.format.CheckpointWriter;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.progress.Progress;
import org.gittheta.store.DiskSpace;
import org.gittheta.store.MemoryPool;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;

/**
 * Turns a checkpoint streamed in by Git into a manifest, storing each parameter whose values changed. The format is
 * found by content. A format whose skeleton is a prefix of the file (safetensors, GGUF) is streamed: each tensor is
 * read into memory and hashed and stored as soon as its last byte has arrived, while the next ones arrive. Any other
 * file (a torch zip, whose directory comes last, or one stored whole) is first spooled to a
 * temporary file, then split and stored from its mapping. Both paths store parameters the same way.
 */
public final class Cleaner {
    private static final int BLOCK = 1 << 20;
    // four per core: a task waiting for the disk (its object's write, or its fsync where there is no syncfs) leaves
    // its core to another, and concurrent fsyncs share the file system's journal commits
    private static final int TENSORS_IN_FLIGHT = 4 * Runtime.getRuntime().availableProcessors();
    /**
     * Streamed tensor bytes held in memory at once, waiting for or in their encoding: bounds the clean's memory
     * whatever the file's size (the budget's unit is {@link #KIB}). Three tensors of 16 MiB (one read while two are
     * encoded, each compressing its chunks on every core) keep the cores as busy as 512 MiB did, and the filter's
     * resident memory under 512 MiB beside its 256 MiB heap and the bases of {@link ParamEncoder}'s deltas
     * (docs/performance.md, issue 14).
     */
    private static final int BYTES_IN_FLIGHT = 48 << 20;

    private static final int KIB = 1024;

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
        BufferedInputStream in = new Input(content);
        in.mark(1);
        if (in.read() < 0)
            return CleanResult.SPLIT; // empty stays empty, as git-lfs keeps it: git never cleans it again
        in.reset();
        if (Manifests.startsLikeOne(in)) {
            out.write(Manifests.validBytes(file, in));
            return CleanResult.SPLIT;
        }
        try {
            Stored stored = clean(file, in, previous);
            store.sync(); // the objects are on disk before Git can record a manifest naming them
            stored.manifest().writeTo(out);
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
     * Streams a format whose skeleton is a prefix of the file. Each tensor's bytes are read from the stream into
     * memory of its own and handed to the encoders as soon as they are all there; the bytes between tensors (GGUF's
     * padding) are collected as the rest of the skeleton. Nothing is copied into a temporary file: tensors are
     * contiguous in these formats, so no encoder needs the file whole.
     *
     * @param file     the path Git names, for messages
     * @param previous the manifest this version replaces (the staged one), to reuse unchanged parameters
     */
    Manifest clean(String file, CheckpointFormat format, InputStream in, Optional<Manifest> previous)
            throws IOException {
        byte[] prefix = format.readSkeletonPrefix(file, in);
        CheckpointLayout layout = format.fromSkeleton(file, prefix);
        try (Progress.Task task = progress.start("storing " + file, layout.fileSize());
                Encoding encoding = new Encoding(previous)) {
            task.advance(prefix.length); // the header is read already: progress ends at the file size
            byte[] skeleton = readAndSubmit(file, in, layout, prefix, encoding, task);
            // validated as a whole file's skeleton would be; a skeleton that is the prefix was, when it was parsed
            // (re-parsing a safetensors header of 200,000 tensors costs a noticeable part of their clean)
            byte[] wholeSkeleton = skeleton.length == prefix.length
                    ? layout.skeleton()
                    : format.fromSkeleton(file, skeleton).skeleton();
            List<ParamEntry> entries = encoding.entries();
            return new Manifest(
                    format.name(), withStoredValues(file, format, wholeSkeleton, entries), layout.fileSize(), entries);
        }
    }

    /**
     * Reads the stream after the skeleton prefix, submitting each tensor once its last byte has arrived; returns the
     * skeleton: the prefix and every byte between and after the tensors, in file order.
     */
    private static byte[] readAndSubmit(
            String file, InputStream in, CheckpointLayout layout, byte[] prefix, Encoding encoding, Progress.Task task)
            throws IOException {
        ByteArrayOutputStream skeleton = new ByteArrayOutputStream();
        skeleton.write(prefix);
        Reading reading = new Reading(file, in, layout.fileSize(), prefix.length, task);
        byte[] block = new byte[BLOCK];
        for (TensorSlot slot : layout.tensors()) {
            reading.copyTo(skeleton, slot.offset() - reading.pos, block);
            TensorBuffer values;
            try {
                values = encoding.buffer(slot.length());
            } catch (OutOfMemoryError e) {
                throw reading.cannotHold(slot);
            }
            try {
                reading.fill(values.bytes(), block);
            } catch (IOException | RuntimeException | Error e) {
                values.close();
                throw e;
            }
            encoding.submit(slot, values);
        }
        reading.copyTo(skeleton, layout.fileSize() - reading.pos, block);
        if (in.read() >= 0) {
            throw new BadCheckpointException(
                    file,
                    "unexpected data after the last tensor (the header describes " + layout.fileSize() + " bytes)");
        }
        return skeleton.toByteArray();
    }

    /** The stream of one checkpoint, read to the length its header describes. */
    private static final class Reading {
        private final String file;
        private final InputStream in;
        private final long fileSize;
        private final Progress.Task task;
        private long pos;

        Reading(String file, InputStream in, long fileSize, long pos, Progress.Task task) {
            this.file = file;
            this.in = in;
            this.fileSize = fileSize;
            this.pos = pos;
            this.task = task;
        }

        /** Reads {@code length} bytes into {@code out} (skeleton bytes between tensors). */
        void copyTo(OutputStream out, long length, byte[] block) throws IOException {
            for (long left = length; left > 0; ) {
                int n = read(block, (int) Math.min(block.length, left));
                out.write(block, 0, n);
                left -= n;
            }
        }

        /** Fills {@code target} with the next bytes of the stream (into it directly where the stream can). */
        void fill(MemorySegment target, byte[] block) throws IOException {
            for (long at = 0; at < target.byteSize(); ) {
                int n = SegmentReads.read(in, target.asSlice(at), block);
                if (n < 0) throw truncated(pos);
                pos += n;
                task.advance(n);
                at += n;
            }
        }

        private int read(byte[] block, int want) throws IOException {
            int n = in.readNBytes(block, 0, want);
            if (n < want) throw truncated(pos + n);
            pos += n;
            task.advance(n);
            return n;
        }

        /**
         * Why memory for a tensor the header declares could not be had. The usual cause is a size no file holds (a
         * corrupt header, a truncated download), so the rest of the stream is counted to tell a truncated file from
         * a tensor too large for this machine.
         */
        BadCheckpointException cannotHold(TensorSlot slot) throws IOException {
            long size = pos + in.transferTo(OutputStream.nullOutputStream());
            if (size < fileSize) return truncated(size);
            return new BadCheckpointException(
                    file, slot.name(), "its " + slot.length() + " bytes do not fit in this machine's memory");
        }

        private BadCheckpointException truncated(long size) {
            return new BadCheckpointException(
                    file, "truncated: the header describes " + fileSize + " bytes, the file has " + size);
        }
    }

    /**
     * The content, buffered so that its first bytes can be looked at and put back (its format is found from them).
     * A streamed tensor's bytes are read past the buffer, once it is empty, straight into the tensor's memory; that
     * comes after the format was found, so a mark still set then is dropped.
     */
    private static final class Input extends BufferedInputStream implements SegmentReads {
        Input(InputStream content) {
            super(content, 1 << 16);
        }

        @Override
        public synchronized int read(MemorySegment dst) throws IOException {
            if (dst.byteSize() == 0) return 0;
            if (pos < count) {
                int n = (int) Math.min(count - pos, dst.byteSize());
                MemorySegment.copy(buf, pos, dst, ValueLayout.JAVA_BYTE, 0, n);
                pos += n;
                return n;
            }
            markpos = -1;
            return SegmentReads.read(in, dst, buf); // emptied, the buffer is free to pass bytes through
        }
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
                    // the mapping is released when the file is deleted, after every task has finished
                    encoding.submit(slot, new TensorBuffer(mapped.asSlice(slot.offset(), slot.length()), () -> {}));
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
            CheckpointWriter.writeAt(ch, block, 0, n, size);
            size += n;
            task.advance(n);
        }
        return size;
    }

    /** A tensor's bytes, and what frees them once they are stored. */
    private record TensorBuffer(MemorySegment bytes, Runnable release) implements AutoCloseable {
        @Override
        public void close() {
            release.run();
        }
    }

    /**
     * The parameters of one file on their way into the store: at most four tasks per core at a time, each
     * compressing its chunks in parallel, and at most {@link #BYTES_IN_FLIGHT} of streamed tensor bytes held in
     * memory; an unchanged parameter keeps its old entry.
     */
    private final class Encoding implements AutoCloseable {
        private final Semaphore slots = new Semaphore(TENSORS_IN_FLIGHT);
        private final Semaphore memory = new Semaphore(BYTES_IN_FLIGHT / KIB);
        /** The streamed tensors' memory, reused: fresh memory costs a page fault and two zero fills per page. */
        private final MemoryPool pool = new MemoryPool(BYTES_IN_FLIGHT);

        private final List<Future<ParamEntry>> pending = new ArrayList<>();
        private final Map<String, ParamEntry> before;

        Encoding(Optional<Manifest> previous) {
            this.before = previous.map(Manifest::byName).orElse(Map.of());
        }

        /**
         * Memory for a tensor of {@code length} bytes, once the tensors in flight leave room for it (a tensor larger
         * than the whole budget waits until it has the budget to itself).
         */
        @SuppressWarnings("MustBeClosedChecker") // the lease belongs to the returned buffer, which closes it
        TensorBuffer buffer(long length) throws IOException {
            if (encoder.inlines(length)) {
                // a few bytes for a manifest line: no shared arena, whose close is a handshake with every thread
                return new TensorBuffer(MemorySegment.ofArray(new byte[(int) length]), () -> {});
            }
            int permits = (int) Math.min(BYTES_IN_FLIGHT / KIB, (length + KIB - 1) / KIB);
            acquire(memory, permits);
            try {
                MemoryPool.Lease lease = pool.take(length, false); // filled from the stream before it is read
                return new TensorBuffer(lease.segment(), () -> {
                    lease.close();
                    memory.release(permits);
                });
            } catch (RuntimeException | Error e) {
                memory.release(permits);
                throw e;
            }
        }

        /** Stores the tensor's values in the background; the buffer is released once they are stored. */
        void submit(TensorSlot slot, TensorBuffer values) throws IOException {
            if (encoder.inlines(slot.length())) {
                // hashed into the manifest line here: a task of its own would cost more than the work
                Optional<ParamEntry> previous = Optional.ofNullable(before.get(slot.name()));
                pending.add(CompletableFuture.completedFuture(
                        encoder.encode(slot.name(), slot.dtype(), slot.shape(), values.bytes(), previous)));
                return;
            }
            try {
                acquire(slots);
            } catch (IOException e) {
                values.close();
                throw e;
            }
            pending.add(Ordered.submit(() -> {
                try (values) {
                    return encoder.encode(
                            slot.name(),
                            slot.dtype(),
                            slot.shape(),
                            values.bytes(),
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

        /** The tasks read the tensors' memory (or the mapped file): lets them finish before it is released. */
        @Override
        public void close() {
            for (Future<ParamEntry> f : pending) {
                try {
                    f.get();
                } catch (Exception ignored) {
                    // the first failure is reported by entries()
                }
            }
            pool.close();
        }
    }

    private static void acquire(Semaphore s) throws IOException {
        acquire(s, 1);
    }

    private static void acquire(Semaphore s, int permits) throws IOException {
        try {
            s.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
