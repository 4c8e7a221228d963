package org.gittheta.repo;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.gittheta.convert.StatCache;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.TrackedCheckpoint.WorkTree;
import org.gittheta.update.ValuesDigest;

/**
 * Whether a work-tree file is the file a manifest describes, without cleaning it: nothing is written, to the store
 * or anywhere. The stat cache answers for a file unchanged since it was last cleaned or checked out; any other file
 * is mapped, split by content as clean splits it, and its skeleton and each tensor's hash compared.
 */
final class WorkTreeCompare {
    private final Path workTree;
    private final StatCache statCache;

    WorkTreeCompare(Path workTree, StatCache statCache) {
        this.workTree = workTree;
        this.statCache = statCache;
    }

    WorkTree state(String path, Manifest staged) throws IOException {
        Path file = workTree.resolve(path);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return WorkTree.DELETED;
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return WorkTree.MODIFIED;
        Optional<Manifest> cleaned = statCache.recordedManifest(file);
        if (cleaned.isPresent()) return same(cleaned.get(), staged);
        try (InputStream in = Files.newInputStream(file)) {
            if (Manifest.looksLike(in)) return WorkTree.NOT_CHECKED_OUT;
        }
        if (Files.size(file) != staged.fileSize()) return WorkTree.MODIFIED;
        return sameContent(file, path, staged) ? WorkTree.UNMODIFIED : WorkTree.MODIFIED;
    }

    private static WorkTree same(Manifest cleaned, Manifest staged) {
        return cleaned.sameFileAs(staged) ? WorkTree.UNMODIFIED : WorkTree.MODIFIED;
    }

    private static boolean sameContent(Path file, String path, Manifest staged) throws IOException {
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment content =
                    size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            CheckpointLayout layout;
            try {
                layout = Formats.split(path, content).layout();
            } catch (BadCheckpointException e) {
                return false; // a broken file is not the one staged
            }
            if (!layout.format().equals(staged.format())
                    || layout.fileSize() != staged.fileSize()
                    || !Arrays.equals(layout.skeleton(), staged.skeleton())
                    || layout.tensors().size() != staged.params().size()) {
                return false;
            }
            Map<String, ParamEntry> byName = staged.byName();
            return layout.tensors().parallelStream()
                    .allMatch(slot -> sameValues(slot, byName.get(slot.name()), content));
        }
    }

    private static boolean sameValues(TensorSlot slot, ParamEntry staged, MemorySegment content) {
        return staged != null
                && staged.dtype() == slot.dtype()
                && staged.shape().equals(slot.shape())
                && ValuesDigest.of(content.asSlice(slot.offset(), slot.length()))
                        .sha256()
                        .equals(staged.sha256());
    }
}
