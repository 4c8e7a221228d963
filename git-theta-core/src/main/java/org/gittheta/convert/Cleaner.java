package org.gittheta.convert;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;
import org.gittheta.update.ParamEncoder;

/**
 * Turns a checkpoint streamed in by Git into a manifest, storing each parameter whose values changed.
 * The stream is copied into a memory-mapped temporary file; each tensor is hashed and stored as soon as
 * its last byte has arrived, in parallel with the reading of the rest.
 */
public final class Cleaner {
    private static final int BLOCK = 1 << 20;
    private static final int TENSORS_IN_FLIGHT = Runtime.getRuntime().availableProcessors();

    private final ObjectStore store;
    private final ParamEncoder encoder;
    private final Progress progress;

    public Cleaner(ObjectStore store, ParamEncoder encoder, Progress progress) {
        this.store = store;
        this.encoder = encoder;
        this.progress = progress;
    }

    /** The manifest this version replaces (the staged one), read only when the content is a checkpoint. */
    @FunctionalInterface
    public interface Previous {
        Optional<Manifest> manifest() throws IOException;
    }

    /**
     * Clean as Git's filter asks for it: a checkpoint becomes its manifest. Content that already is a manifest
     * (added with the filter off) is kept as it is once it has been validated completely.
     */
    public void clean(String file, InputStream content, OutputStream out, Previous previous) throws IOException {
        BufferedInputStream in = new BufferedInputStream(content, 1 << 16);
        if (Manifests.startsLikeOne(in)) {
            out.write(Manifests.validBytes(file, in));
            return;
        }
        CheckpointFormat format = Formats.forPath(file).orElseThrow(() -> new BadCheckpointException(file,
                "git-theta tracks .safetensors and .gguf checkpoints, not this file; stop tracking it with 'git theta untrack "
                        + file + "'"));
        try {
            out.write(clean(file, format, in, previous.manifest()).toBytes());
        } catch (IOException e) {
            throw Manifests.withPath(file, e);
        }
    }

    /**
     * @param file     the path Git names, for messages
     * @param previous the manifest this version replaces (the staged one), to reuse unchanged parameters
     */
    Manifest clean(String file, CheckpointFormat format, InputStream in, Optional<Manifest> previous)
            throws IOException {
        byte[] skeleton = format.readSkeletonPrefix(file, in);
        CheckpointLayout layout = format.fromSkeleton(file, skeleton);
        Map<String, ParamEntry> before = previous.map(Manifest::byName).orElse(Map.of());

        Path tmp = store.newTempFile();
        try (Progress.Task task = progress.start("storing " + file, layout.fileSize());
             Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment mapped = layout.fileSize() == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_WRITE, 0, layout.fileSize(), arena);
            List<Future<ParamEntry>> pending = new ArrayList<>();
            task.advance(skeleton.length); // the header is read already: progress ends at the file size
            try {
                return readAndStore(file, format, in, layout, skeleton, before, mapped, pending, task);
            } finally {
                // the tasks read the mapped file: let them finish before it is unmapped
                for (Future<ParamEntry> f : pending) {
                    try {
                        f.get();
                    } catch (Exception ignored) {
                        // the first failure is reported by readAndStore
                    }
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Manifest readAndStore(String file, CheckpointFormat format, InputStream in, CheckpointLayout layout,
                                  byte[] skeleton, Map<String, ParamEntry> before, MemorySegment mapped,
                                  List<Future<ParamEntry>> pending, Progress.Task task)
            throws IOException {
            Semaphore slots = new Semaphore(TENSORS_IN_FLIGHT);
            // the whole file, so that its skeleton can be read back once every byte has arrived
            MemorySegment.copy(MemorySegment.ofArray(skeleton), 0, mapped, 0, skeleton.length);
            long pos = skeleton.length;
            int next = 0;
            List<TensorSlot> tensors = layout.tensors();
            byte[] block = new byte[BLOCK];
            while (true) {
                while (next < tensors.size() && end(tensors.get(next)) <= pos) {
                    TensorSlot slot = tensors.get(next++);
                    MemorySegment values = mapped.asSlice(slot.offset(), slot.length());
                    acquire(slots);
                    pending.add(Ordered.submit(() -> {
                        try {
                            return encoder.encode(slot.name(), slot.dtype(), slot.shape(), values,
                                    Optional.ofNullable(before.get(slot.name())));
                        } finally {
                            slots.release();
                        }
                    }));
                }
                if (pos == layout.fileSize()) break;
                int want = (int) Math.min(BLOCK, layout.fileSize() - pos);
                int n = in.readNBytes(block, 0, want);
                if (n < want) {
                    throw new BadCheckpointException(file, "truncated: the header describes " + layout.fileSize()
                            + " bytes, the file has " + (pos + n));
                }
                MemorySegment.copy(MemorySegment.ofArray(block), 0, mapped, pos, n);
                pos += n;
                task.advance(n);
            }
            if (in.read() >= 0) {
                throw new BadCheckpointException(file, "unexpected data after the last tensor (the header describes "
                        + layout.fileSize() + " bytes)");
            }
            List<ParamEntry> entries = new ArrayList<>();
            for (Future<ParamEntry> f : pending) entries.add(Ordered.await(f));
            // the prefix holds the header; padding between tensors (GGUF) is skeleton too, and only the whole file has it
            byte[] wholeSkeleton = format.read(file, mapped).skeleton();
            return new Manifest(format.name(), wholeSkeleton, layout.fileSize(), entries);
    }

    private static long end(TensorSlot slot) { return slot.offset() + slot.length(); }

    private static void acquire(Semaphore s) throws IOException {
        try {
            s.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
