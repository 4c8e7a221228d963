package org.gittheta.merge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.update.ParamDecoder;

/**
 * Where each side's Fisher comes from: the file the configuration names for that side, else
 * {@code theta.merge.fisherAt} read at the side's commit (a git-theta manifest or a plain committed
 * checkpoint), else none. Plain checkpoints are copied to temporary files, deleted by {@link #close()}.
 */
public final class FisherLocator implements AutoCloseable {
    private final String path;
    private final MergeConfig config;
    private final CommittedFiles committed;
    private final MissingObjects missing;
    private final ParamDecoder decoder;
    private final Path workDir;
    private final Path tempDir;
    private final List<Path> temps = new ArrayList<>();

    /**
     * @param path    the checkpoint being merged, for messages
     * @param workDir what relative Fisher file names are relative to
     * @param tempDir where copies of committed plain checkpoints go
     */
    public FisherLocator(
            String path,
            MergeConfig config,
            CommittedFiles committed,
            MissingObjects missing,
            ParamDecoder decoder,
            Path workDir,
            Path tempDir) {
        this.path = path;
        this.config = config;
        this.committed = committed;
        this.missing = missing;
        this.decoder = decoder;
        this.workDir = workDir;
        this.tempDir = tempDir;
    }

    public FisherSource ours(String oursRev) throws IOException {
        return locate(config.fisherOurs(), Optional.of(oursRev));
    }

    /** @param theirsRev the commit being merged in, if Git told the driver */
    public FisherSource theirs(Optional<String> theirsRev) throws IOException {
        return locate(config.fisherTheirs(), theirsRev);
    }

    /**
     * One model's Fisher: {@code file} if given (relative to the work directory), else {@code theta.merge.fisherAt}
     * read at {@code rev}, else none.
     */
    public FisherSource locate(Optional<String> file, Optional<String> rev) throws IOException {
        if (!config.usesFisher()) return FisherSource.none();
        if (file.isPresent()) return FisherSource.ofFile(workDir.resolve(file.get()));
        Optional<String> at = config.fisherAt();
        if (at.isEmpty()) return FisherSource.none();
        if (rev.isEmpty()) {
            throw new IOException(path + ": theta.merge.fisherAt is set, but the commit of their side is unknown "
                    + "(git merge and git rebase name it, git cherry-pick does not; see docs/merging.md)");
        }
        String what = rev.get() + ":" + at.get();
        var manifest = committed.manifest(rev.get(), at.get());
        if (manifest.isPresent()) {
            missing.ensurePresent(what, manifest.get());
            return FisherSource.ofManifest(what, manifest.get(), decoder);
        }
        Files.createDirectories(tempDir);
        Path tmp = Files.createTempFile(
                tempDir, "theta-fisher-", "-" + Path.of(at.get()).getFileName());
        temps.add(tmp);
        return committed.copy(rev.get(), at.get(), tmp) ? FisherSource.ofFile(tmp) : FisherSource.none();
    }

    @Override
    public void close() throws IOException {
        for (Path p : temps) Files.deleteIfExists(p);
    }
}
