package org.gittheta.repo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.CommittedFiles;
import org.gittheta.store.ObjectStore;

/** A Git repository seen by git-theta: its manifests at revisions and in the index, and its object store. */
public final class ThetaRepo implements AutoCloseable, CommittedFiles {
    /** A manifest text is small; anything bigger at a tracked path is a checkpoint committed before it was tracked. */
    private static final long MAX_MANIFEST_BYTES = 256L << 20;

    private final Repository git;
    private final ObjectStore store;

    private ThetaRepo(Repository git, ObjectStore store) {
        this.git = git;
        this.store = store;
    }

    /**
     * @param gitDir    the repository's git directory ({@code git rev-parse --git-dir})
     * @param commonDir where objects shared by all work trees live ({@code git rev-parse --git-common-dir})
     */
    public static ThetaRepo open(Path gitDir, Path commonDir) throws IOException {
        Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
        return new ThetaRepo(repo, new ObjectStore(commonDir.resolve("lfs")));
    }

    public Repository git() { return git; }

    public ObjectStore store() { return store; }

    /** The manifest staged for {@code path} (stage 0), if it is one. */
    public Optional<Manifest> indexManifest(String path) throws IOException {
        DirCache index = DirCache.read(git);
        DirCacheEntry entry = index.getEntry(path);
        return entry == null ? Optional.empty() : manifestOfBlob(entry.getObjectId());
    }

    /** The manifest committed for {@code path} at {@code rev}, if there is one. */
    @Override public Optional<Manifest> manifest(String rev, String path) throws IOException {
        Optional<ObjectId> blob = blobAt(rev, path);
        return blob.isEmpty() ? Optional.empty() : manifestOfBlob(blob.get());
    }

    @Override public boolean copy(String rev, String path, Path target) throws IOException {
        Optional<ObjectId> blob = blobAt(rev, path);
        if (blob.isEmpty()) return false;
        try (OutputStream out = Files.newOutputStream(target)) {
            git.open(blob.get()).copyTo(out);
        }
        return true;
    }

    public Optional<ObjectId> blobAt(String rev, String path) throws IOException {
        ObjectId commitId = git.resolve(rev + "^{commit}");
        if (commitId == null) return Optional.empty();
        try (RevWalk walk = new RevWalk(git)) {
            RevCommit commit = walk.parseCommit(commitId);
            try (TreeWalk tw = TreeWalk.forPath(git, path, commit.getTree())) {
                return tw == null ? Optional.empty() : Optional.of(tw.getObjectId(0));
            }
        }
    }

    /** Reads a blob as a manifest; empty when the blob is something else. */
    public Optional<Manifest> manifestOfBlob(ObjectId blob) throws IOException {
        ObjectLoader loader = git.open(blob);
        if (loader.getSize() > MAX_MANIFEST_BYTES) return Optional.empty();
        byte[] bytes = loader.getCachedBytes(Integer.MAX_VALUE);
        return Manifest.looksLike(bytes, bytes.length) ? Optional.of(Manifest.parse(bytes)) : Optional.empty();
    }

    @Override public void close() { git.close(); }
}
