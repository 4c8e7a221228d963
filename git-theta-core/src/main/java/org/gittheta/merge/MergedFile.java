package org.gittheta.merge;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.store.AtomicFile;
import org.gittheta.store.FileSystemSync;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;

/**
 * A merged checkpoint's computed values, written by the merge into a file laid out as ours as they are computed, so
 * that the checkout that follows the merge does not decode again what the merge has just computed. Once the merged
 * manifest is known and lays those values out where they were written, the merge completes the file around them (the
 * header, the parameters taken as they were) and records it: {@link #READY_FORMAT}, the SHA-256 of the manifest's
 * bytes, whether the file is complete, the offsets of the slots computed. The checkout then only renames it into
 * place, for that very manifest; it completes the file itself where the merge could not. Completed by the merge, the
 * file's last write is seconds older than the index entry the checkout writes for it, which then need not wait for
 * the racy-git second. Writing the file is a shortcut: a failure to write it leaves the merge as it would be without.
 */
public final class MergedFile implements AutoCloseable {
    static final String READY_FORMAT = "git-theta merged file 2";
    private static final String COMPLETE = "complete";
    private static final String PARTIAL = "partial";

    private final Path values;
    private final Path ready;
    private final Path replaced;
    private final CheckpointLayout ours;
    private final FileChannel channel;
    /** Offsets of the slots written, by parameter name. */
    private final Map<String, Long> written = new ConcurrentHashMap<>();

    private volatile boolean failed;

    private MergedFile(Path values, Path ready, Path replaced, CheckpointLayout ours, FileChannel channel) {
        this.values = values;
        this.ready = ready;
        this.replaced = replaced;
        this.ours = ours;
        this.channel = channel;
    }

    /**
     * Values a checkout can take as they are: the file and the offsets of the slots computed; whether the rest is
     * written around them.
     */
    public record Prepared(Path values, Set<Long> offsets, boolean complete) {}

    /** Writes the rest of the merged checkpoint around its computed values ({@code offsets}) in {@code values}. */
    @FunctionalInterface
    public interface Completion {
        void complete(Path values, Set<Long> offsets) throws IOException;
    }

    /**
     * Starts writing {@code path}'s merged values into {@code values}, laid out as {@code ours}; empty where that
     * cannot be (a format without a layout, the file not created).
     * @param replaced the work tree's file, which the merged one replaces
     */
    public static Optional<MergedFile> start(Path values, Path ready, Path replaced, String path, Manifest ours) {
        try {
            Files.createDirectories(values.getParent());
            Files.deleteIfExists(ready);
            CheckpointLayout layout = Formats.byName(ours.format())
                    .orElseThrow(() -> new BadCheckpointException(path, "unknown format " + ours.format()))
                    .fromManifest(path, ours.skeleton(), ours.fileSize());
            FileChannel channel = FileChannel.open(
                    values,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            // its full size from the start: parameters are mapped into it from several threads
            if (layout.fileSize() > 0) channel.write(ByteBuffer.allocate(1), layout.fileSize() - 1);
            return Optional.of(new MergedFile(values, ready, replaced, layout, channel));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Where a computed parameter's values go: its slot in the file, mapped, where ours's layout has a slot of its
     * name, type and size; the merge computes them there, with no copy. Empty where there is none.
     */
    Optional<MemorySegment> slot(String name, DType dtype, long bytes, Arena arena) {
        Optional<TensorSlot> slot = ours.tensor(name);
        if (failed
                || bytes == 0 // an empty tensor shares its offset with the next one
                || slot.isEmpty()
                || slot.get().dtype() != dtype
                || slot.get().length() != bytes) return Optional.empty();
        // the file this one replaces leaves the page cache as this one is written, slot by slot, so that each slot's
        // pages take the ones just freed: fresh memory costs more (a machine short of it, or a virtual machine whose
        // host takes back free pages), and two checkpoints' pages would hold twice the memory
        FileSystemSync.dropCached(replaced, slot.get().offset(), bytes);
        try {
            MemorySegment mapped =
                    channel.map(FileChannel.MapMode.READ_WRITE, slot.get().offset(), bytes, arena);
            // seen as plain native memory, as every other segment the strategies and the encoder read and write:
            // a mapped segment is another class, and loops that meet two recompile for both, a second a merge
            return Optional.of(MemorySegment.ofAddress(mapped.address()).reinterpret(bytes, arena, null));
        } catch (IOException e) {
            failed = true; // the checkout decodes as it would without this file
            return Optional.empty();
        }
    }

    /** Gives the file up: the checkout decodes as it would without it. */
    void abandon() {
        failed = true;
    }

    /** Records that the parameter's {@link #slot} holds its merged values. */
    void computed(String name) {
        written.put(name, ours.tensor(name).orElseThrow().offset());
    }

    /**
     * Records the merged manifest, when its layout puts every value written here where it was written, completing the
     * file first ({@code completion}; where that fails, the checkout completes it); otherwise the values are removed.
     */
    public void finish(Manifest merged, Completion completion) {
        try {
            channel.close();
            CheckpointLayout layout = Formats.byName(merged.format())
                    .orElseThrow()
                    .fromManifest(values.toString(), merged.skeleton(), merged.fileSize());
            boolean same = !failed && !written.isEmpty() && layout.fileSize() == ours.fileSize();
            for (Map.Entry<String, Long> w : written.entrySet()) {
                Optional<TensorSlot> slot = layout.tensor(w.getKey());
                same &= slot.isPresent()
                        && slot.get().offset() == w.getValue()
                        && slot.get().length()
                                == ours.tensor(w.getKey()).orElseThrow().length();
            }
            if (!same) {
                Files.deleteIfExists(values);
                return;
            }
            boolean complete;
            try {
                completion.complete(values, Set.copyOf(written.values()));
                complete = true;
            } catch (IOException | RuntimeException e) {
                complete = false; // the checkout completes it, and reports what fails again
            }
            MessageDigest sha = ObjectStore.sha256();
            try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha)) {
                merged.writeTo(out);
            }
            StringBuilder text = new StringBuilder(READY_FORMAT + "\n"
                    + HexFormat.of().formatHex(sha.digest()) + "\n" + (complete ? COMPLETE : PARTIAL) + "\n");
            for (long offset : written.values()) text.append(offset).append('\n');
            AtomicFile.replaceCacheEntry(ready, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            failed = true;
        }
    }

    /** Removes the values unless {@link #finish} recorded them. */
    @Override
    public void close() throws IOException {
        channel.close();
        if (failed || !Files.exists(ready)) Files.deleteIfExists(values);
    }

    /**
     * The values written for the manifest whose bytes are {@code manifest}, if a merge recorded them; none where the
     * record cannot be read (a shortcut: the checkout then decodes).
     */
    public static Optional<Prepared> find(Path values, Path ready, byte[] manifest) {
        List<String> lines;
        try {
            lines = Files.readAllLines(ready, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        String sha = HexFormat.of().formatHex(ObjectStore.sha256().digest(manifest));
        if (lines.size() < 3
                || !lines.get(0).equals(READY_FORMAT)
                || !lines.get(1).equals(sha)
                || !List.of(COMPLETE, PARTIAL).contains(lines.get(2))) return Optional.empty();
        List<Long> offsets = new ArrayList<>();
        try {
            for (String line : lines.subList(3, lines.size())) offsets.add(Long.parseLong(line));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Files.isRegularFile(values)
                ? Optional.of(
                        new Prepared(values, Set.copyOf(offsets), lines.get(2).equals(COMPLETE)))
                : Optional.empty();
    }
}
