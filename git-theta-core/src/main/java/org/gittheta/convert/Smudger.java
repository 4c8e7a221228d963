package org.gittheta.convert;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.CheckpointWriter;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.progress.Progress;
import org.gittheta.store.AtomicFile;
import org.gittheta.store.DiskSpace;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ValuesPipeline;

/** Rebuilds the exact checkpoint file a manifest describes, fetching missing objects first. */
public final class Smudger {
    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-r--r--");
    private final ObjectStore store;
    private final MissingObjects missing;
    private final Progress progress;

    public Smudger(ObjectStore store, MissingObjects missing, Progress progress) {
        this.store = store;
        this.missing = missing;
        this.progress = progress;
    }

    /**
     * Smudge as Git's filter asks for it: a manifest becomes its checkpoint; anything else (a file committed
     * before it was tracked) is streamed back untouched, however large.
     */
    public Optional<Written> smudge(String file, InputStream content, OutputStream out) throws IOException {
        BufferedInputStream in = new BufferedInputStream(content, 1 << 16);
        if (!Manifests.startsLikeOne(in)) {
            in.transferTo(out);
            return Optional.empty();
        }
        try {
            // as git stores it: core.autocrlf gives a filter the text with CRLF line endings
            byte[] manifest = Manifest.withLfLineEndings(Manifests.bytes(file, in));
            return Optional.of(new Written(manifest, summed(file, Manifests.parse(file, manifest), out)));
        } catch (IOException e) {
            throw Manifests.withPath(file, e);
        }
    }

    /** A checkpoint a smudge wrote: the manifest it was made from and the sums of its content. */
    public record Written(byte[] manifest, ContentSums sums) {}

    /**
     * Writes the checkpoint a manifest describes into {@code target} itself, not through Git: decoded chunk by chunk
     * into a temporary file beside it and renamed into place, so that the file is never seen half-written (a killed
     * checkout leaves the old file or the new one) and memory does not grow with its size. Like Git's own checkout
     * (and git-lfs's), the work-tree file is not forced to disk: the store holds what it was made from.
     * @return the sums of the written content, computed as it was written
     */
    public ContentSums checkout(String file, Manifest manifest, Path target) throws IOException {
        return checkout(file, manifest, target, permissionsFor(target));
    }

    private ContentSums checkout(String file, Manifest manifest, Path target, Set<PosixFilePermission> permissions)
            throws IOException {
        ContentSums[] sums = new ContentSums[1];
        AtomicFile.replaceWorkTreeFile(target, out -> sums[0] = summed(file, manifest, out), Optional.of(permissions));
        return sums[0];
    }

    /** The mode the file written at {@code target} gets: the file's there now, else rw-r--r--. */
    private static Set<PosixFilePermission> permissionsFor(Path target) throws IOException {
        return Files.exists(target) ? Files.getPosixFilePermissions(target) : NEW_FILE;
    }

    /** Writes the checkpoint, computing the sums of its content on the way. */
    private ContentSums summed(String file, Manifest manifest, OutputStream out) throws IOException {
        CRC32C crc32c = new CRC32C();
        CRC32 crc32 = new CRC32();
        CheckedOutputStream checked = new CheckedOutputStream(new CheckedOutputStream(out, crc32c), crc32);
        smudge(file, manifest, checked);
        checked.flush();
        return new ContentSums(manifest.fileSize(), (int) crc32c.getValue(), (int) crc32.getValue());
    }

    /**
     * Completes {@code prepared}, a file that holds some of the checkpoint's values already, in their places (a merge
     * wrote them as it computed them), into the checkpoint the manifest describes: the skeleton and the other values
     * are written around them.
     * @param offsets the offsets of the slots {@code prepared} holds
     */
    public void completePrepared(String file, Manifest manifest, Path prepared, Set<Long> offsets) throws IOException {
        complete(file, manifest, prepared, offsets, prepared);
    }

    /**
     * Writes the checkpoint a manifest describes into {@code target} from {@code prepared}, completed first where
     * {@code unwritten} gives the offsets of the only slots it holds ({@link #completePrepared}): it is renamed into
     * place, where a skipped smudge left the manifest (removed first). Where the rename cannot be (another file
     * system), it is {@link #checkout} instead.
     * @return the sums of the file's content
     */
    public ContentSums checkoutPrepared(
            String file, Manifest manifest, Path target, Path prepared, Optional<Set<Long>> unwritten)
            throws IOException {
        Set<PosixFilePermission> permissions = permissionsFor(target);
        if (unwritten.isPresent()) complete(file, manifest, prepared, unwritten.get(), target);
        ContentSums sums = ContentSums.of(prepared);
        Files.setPosixFilePermissions(prepared, permissions);
        try {
            // the file there is the manifest git left: removed first, as ext4 forces the whole new file's blocks to be
            // allocated and written out within a rename that replaces a file (0.35 s for a gigabyte)
            Files.deleteIfExists(target);
            Files.move(prepared, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            return checkout(file, manifest, target, permissions); // the manifest's mode: it is gone
        }
        return sums;
    }

    /** {@link #completePrepared}, a full disk reported as writing {@code reported}. */
    private void complete(String file, Manifest manifest, Path prepared, Set<Long> offsets, Path reported)
            throws IOException {
        CheckpointLayout layout = checked(file, manifest);
        List<TensorSlot> rest = layout.tensors().stream()
                .filter(slot -> slot.length() == 0 || !offsets.contains(slot.offset()))
                .toList();
        Map<String, ParamEntry> entries = manifest.byName();
        try (FileChannel ch = FileChannel.open(prepared, StandardOpenOption.WRITE);
                Progress.Task task = progress.start("checking out " + file, layout.fileSize());
                ValuesPipeline values = ValuesPipeline.open(
                        store,
                        rest.stream().map(slot -> entries.get(slot.name())).toList())) {
            CheckpointWriter.writeSkeleton(layout, ch);
            task.advance(layout.fileSize()
                    - rest.stream().mapToLong(TensorSlot::length).sum());
            for (ValuesPipeline.Chunk chunk = values.next(); chunk != null; chunk = values.next()) {
                CheckpointWriter.writeAt(
                        ch,
                        chunk.data(),
                        0,
                        chunk.length(),
                        rest.get(chunk.param()).offset() + chunk.offset());
                task.advance(chunk.length());
                values.recycle(chunk);
            }
            if (ch.size() != layout.fileSize()) {
                throw new IOException(
                        file + ": the merged values' file holds " + ch.size() + " bytes, not " + layout.fileSize());
            }
        } catch (IOException e) {
            throw DiskSpace.explained(reported, e);
        }
    }

    /**
     * Checks everything that can be checked before the first byte is written, so that most failures leave no output.
     */
    void smudge(String file, Manifest manifest, OutputStream out) throws IOException {
        CheckpointLayout layout = checked(file, manifest);
        Map<String, ParamEntry> entries = manifest.byName();
        List<ParamEntry> inFileOrder =
                layout.tensors().stream().map(slot -> entries.get(slot.name())).toList();
        try (Progress.Task task = progress.start("checking out " + file, layout.fileSize());
                ValuesPipeline values = ValuesPipeline.open(store, inFileOrder)) {
            // header and padding count as written up front, so that progress ends at the file size
            task.advance(layout.fileSize()
                    - layout.tensors().stream().mapToLong(TensorSlot::length).sum());
            CheckpointWriter.write(layout, (slot, o) -> writeValues(values, slot, o, task), out);
        }
    }

    /** The manifest's layout, checked against its entries; its objects are fetched if missing. */
    private CheckpointLayout checked(String file, Manifest manifest) throws IOException {
        CheckpointFormat format = Formats.byName(manifest.format())
                .orElseThrow(() ->
                        new BadCheckpointException(file, "manifest names unknown format '" + manifest.format() + "'"));
        CheckpointLayout layout = format.fromManifest(file, manifest.skeleton(), manifest.fileSize());
        Map<String, ParamEntry> entries = manifest.byName();
        for (TensorSlot slot : layout.tensors()) {
            ParamEntry e = entries.get(slot.name());
            if (e == null || e.dtype() != slot.dtype() || !e.shape().equals(slot.shape())) {
                throw new BadCheckpointException(file, slot.name(), "manifest and header disagree");
            }
        }
        if (entries.size() != layout.tensors().size() || layout.fileSize() != manifest.fileSize()) {
            throw new BadCheckpointException(file, "manifest and header disagree on the tensors or the file size");
        }
        missing.ensurePresent(file, manifest);
        return layout;
    }

    /** Writes the chunks of the slot's parameter, the next ones the pipeline yields. */
    private static void writeValues(ValuesPipeline values, TensorSlot slot, OutputStream out, Progress.Task task)
            throws IOException {
        ValuesPipeline.Chunk chunk;
        do {
            chunk = values.next();
            if (chunk == null) throw new IllegalStateException("no values left for tensor '" + slot.name() + "'");
            out.write(chunk.data(), 0, chunk.length());
            values.recycle(chunk);
            task.advance(chunk.length());
        } while (chunk.offset() + chunk.length() < slot.length());
    }
}
