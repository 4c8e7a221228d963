package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.update.ValuesDigest;

/**
 * A checkpoint file in the working tree, memory-mapped and read in place: nothing is written to the store,
 * unlike {@code git add}. A parameter's hash is computed from the mapped bytes when asked: the differ asks once
 * per parameter, from parallel tasks.
 */
public final class FileSnapshot implements Snapshot, AutoCloseable {
    private final Arena arena;
    private final MemorySegment content;
    private final SortedMap<String, ParamInfo> params = new TreeMap<>();
    private final Map<String, TensorSlot> slots = new HashMap<>();
    private final Skeleton skeleton;

    private FileSnapshot(Arena arena, MemorySegment content, CheckpointLayout layout) {
        this.arena = arena;
        this.content = content;
        this.skeleton = new Skeleton(layout.format(), layout.fileSize(), layout.skeleton());
        for (TensorSlot s : layout.tensors()) {
            slots.put(s.name(), s);
            params.put(s.name(), new ParamInfo(s.name(), s.dtype(), s.shape(), Optional.empty(), Optional.empty()));
        }
    }

    /**
     * Maps and validates {@code file}, its format found by content as clean finds it (a file clean would store whole
     * is one parameter); {@code name} is how messages call it (the repository path).
     */
    public static FileSnapshot open(Path file, String name) throws IOException {
        return open(file, name, content -> Formats.split(name, content).layout());
    }

    /** Maps and validates {@code file} as a checkpoint of {@code format}. */
    public static FileSnapshot open(Path file, String name, CheckpointFormat format) throws IOException {
        return open(file, name, content -> format.read(name, content));
    }

    @FunctionalInterface
    private interface Reader {
        CheckpointLayout read(MemorySegment content) throws BadCheckpointException;
    }

    @SuppressWarnings("MustBeClosedChecker") // the arena belongs to the returned object, which closes it
    private static FileSnapshot open(Path file, String name, Reader reader) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment content =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new FileSnapshot(arena, content, reader.read(content));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public SortedMap<String, ParamInfo> params() {
        return Collections.unmodifiableSortedMap(params);
    }

    @Override
    public String sha256(String name) {
        return ValuesDigest.of(values(name)).sha256();
    }

    @Override
    public InputStream open(String name) {
        return new SegmentInputStream(values(name));
    }

    @Override
    public Optional<Skeleton> skeleton() {
        return Optional.of(skeleton);
    }

    private MemorySegment values(String name) {
        TensorSlot s = slots.get(name);
        if (s == null) throw new IllegalArgumentException("no parameter '" + name + "' in this file");
        return content.asSlice(s.offset(), s.length());
    }

    @Override
    public void close() {
        arena.close();
    }
}
