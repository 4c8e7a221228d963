package org.gittheta.repo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.gittheta.convert.StatCache;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.progress.Progress;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamEncoder;

/**
 * {@code squash}: the staged version of a checkpoint, with every parameter whose delta chain is deep enough stored
 * directly instead, staged in its place. History is not rewritten: the next commit no longer needs the old bases,
 * so that gc can collect them once nothing else uses them. The file's bytes do not change, so the index entry keeps
 * its stat data and the stat cache entry of the work-tree file is pointed at the new manifest.
 */
final class Squasher {
    private final JGitRepo git;
    private final ParamEncoder encoder;
    private final MissingObjects missing;
    private final StatCache statCache;
    private final Path workTree;
    private final Progress progress;

    /** @param progress told the bytes of each parameter stored directly */
    Squasher(
            JGitRepo git,
            ParamEncoder encoder,
            MissingObjects missing,
            StatCache statCache,
            Path workTree,
            Progress progress) {
        this.progress = progress;
        this.git = git;
        this.encoder = encoder;
        this.missing = missing;
        this.statCache = statCache;
        this.workTree = workTree;
    }

    /**
     * @param staged the index's version of {@code path}
     * @param source the version whose chains are squashed: the staged one, or the same file at a revision
     */
    SquashReport.File squash(String path, Manifest staged, Manifest source, int minDepth) throws IOException {
        List<ParamEntry> deep =
                source.params().stream().filter(p -> p.chainDepth() >= minDepth).toList();
        int depthBefore =
                source.params().stream().mapToInt(ParamEntry::chainDepth).max().orElse(0);
        if (deep.isEmpty()) return new SquashReport.File(path, 0, depthBefore, 0, 0, 0);
        // only the entries matter to the fetch: a manifest of them alone
        missing.ensurePresent(path, new Manifest("values", new byte[0], 0, deep));
        List<ParamEntry> params = new ArrayList<>();
        Set<ObjectRef> written = new LinkedHashSet<>();
        long valueBytes = 0;
        try (Progress.Task task = progress.start(
                "squashing " + path,
                deep.stream().mapToLong(ParamEntry::byteSize).sum())) {
            for (ParamEntry p : source.params()) {
                if (p.chainDepth() < minDepth) {
                    params.add(p);
                    continue;
                }
                ParamEntry direct;
                try {
                    direct = encoder.storeDirect(p);
                } catch (IOException e) {
                    throw new IOException(path + ": " + e.getMessage(), e);
                }
                params.add(direct);
                written.add(direct.object());
                valueBytes += p.byteSize();
                task.advance(p.byteSize());
            }
        }
        Manifest squashed = new Manifest(source.format(), source.skeleton(), source.fileSize(), params);
        byte[] bytes = squashed.toBytes();
        git.restage(path, bytes);
        statCache.rerecord(workTree.resolve(path), cleaned -> describesSameFile(cleaned, staged), bytes);
        Set<ObjectRef> released = new LinkedHashSet<>(staged.objects());
        released.removeAll(squashed.objects());
        return new SquashReport.File(
                path,
                deep.size(),
                depthBefore,
                valueBytes,
                written.stream().mapToLong(ObjectRef::size).sum(),
                released.stream().mapToLong(ObjectRef::size).sum());
    }

    private static boolean describesSameFile(byte[] manifest, Manifest staged) {
        try {
            return Manifest.parse(manifest).sameFileAs(staged);
        } catch (ManifestException e) {
            return false;
        }
    }
}
