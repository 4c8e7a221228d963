package org.gittheta.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.dircache.InvalidPathException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;
import org.eclipse.jgit.util.FS;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.CommittedFiles;

/** JGit access to what git-theta reads from a repository: commits, trees, the index, blobs as manifests. */
final class JGitRepo implements AutoCloseable, CommittedFiles {
    /** A manifest text is small; anything bigger at a tracked path is a checkpoint committed before it was tracked. */
    static final long MAX_MANIFEST_BYTES = 256L << 20;

    /** Git's system-wide configuration file, as git named it ({@link #useSystemConfig}). */
    private record SystemConfig(Optional<Path> file) {}

    /** Null until told: then JGit runs {@code git --version} and {@code git config --system} to find it. */
    private static volatile SystemConfig systemConfig;

    private final Repository git;
    private final PromisedBlobs promised;
    /** Blobs git was already asked for, each with why it could not fetch them (empty: it did, or had no one to ask). */
    private final Map<ObjectId, Optional<String>> asked = new ConcurrentHashMap<>();
    /** The index as last read; only read from. */
    private DirCache index;

    private JGitRepo(Repository git, PromisedBlobs promised) {
        this.git = git;
        this.promised = promised;
    }

    /** Applied when a repository is next opened: touching JGit's file-system support starts all of JGit. */
    static void useSystemConfig(Optional<Path> file) {
        systemConfig = new SystemConfig(file);
    }

    /** @param promised where a partial clone's left-out blobs come from when one is read */
    static JGitRepo open(Path gitDir, Path indexFile, PromisedBlobs promised) throws IOException {
        SystemConfig told = systemConfig;
        if (told != null)
            FS.DETECTED.setGitSystemConfig(told.file().map(Path::toFile).orElse(null));
        return new JGitRepo(
                new FileRepositoryBuilder()
                        .setGitDir(gitDir.toFile())
                        .setIndexFile(indexFile.toFile())
                        .setMustExist(true)
                        .build(),
                promised);
    }

    Repository git() {
        return git;
    }

    /** The commit {@code rev} names (tags peeled); empty if it names none or is not a revision at all. */
    Optional<ObjectId> commit(String rev) throws IOException {
        try {
            return Optional.ofNullable(git.resolve(headShorthand(rev) + "^{commit}"));
        } catch (RevisionSyntaxException e) {
            return Optional.empty();
        }
    }

    /** Git's {@code @} for HEAD, alone or before {@code ~} or {@code ^} ({@code @~1}): JGit reads only {@code @{...}}. */
    private static String headShorthand(String rev) {
        return rev.equals("@") || rev.startsWith("@~") || rev.startsWith("@^") ? "HEAD" + rev.substring(1) : rev;
    }

    /** The commits of every ref under the prefixes (tags peeled; refs to other objects skipped). */
    List<ObjectId> refTips(String... prefixes) throws IOException {
        List<ObjectId> out = new ArrayList<>();
        for (String prefix : prefixes) {
            for (Ref ref : git.getRefDatabase().getRefsByPrefix(prefix)) {
                Optional<ObjectId> id = commit(ref.getName());
                if (id.isPresent() && !out.contains(id.get())) out.add(id.get());
            }
        }
        return out;
    }

    /** The hash of the repository's objects, as {@code extensions.objectFormat} names it: sha1 or sha256. */
    String objectFormat() {
        String format = git.getConfig().getString("extensions", null, "objectformat");
        return format == null ? "sha1" : format.toLowerCase(Locale.ROOT);
    }

    /**
     * The index, read again only when its file changed since it was last read (JGit's snapshot of it, which takes a
     * file modified within its timestamps' resolution as changed): a command looks up many paths in it, and an index
     * of tens of thousands of files takes a good part of a second to parse.
     */
    private synchronized DirCache index() throws IOException {
        if (index == null || index.isOutdated())
            index = readIndex(git.getIndexFile().toPath());
        return index;
    }

    /** An index file as JGit reads it; one JGit cannot read (a split or sparse index) is refused saying so. */
    static DirCache readIndex(Path file) throws IOException {
        try {
            return DirCache.read(file.toFile(), FS.DETECTED);
        } catch (CorruptObjectException | InvalidPathException e) {
            // a split index's 'link' extension is "not supported", a sparse index's folder entry an "invalid path"
            throw new UnreadableIndexException(file, e.getMessage());
        }
    }

    /** The blob staged for {@code path} (stage 0). */
    Optional<ObjectId> indexBlob(String path) throws IOException {
        return indexBlob(path, DirCacheEntry.STAGE_0);
    }

    /** The blob at {@code stage} of {@code path}: 0 when merged, 1 to 3 (base, ours, theirs) during a conflict. */
    Optional<ObjectId> indexBlob(String path, int stage) throws IOException {
        // getEntry gives a path's first stage only: an unmerged path's base
        DirCache index = index();
        int first = index.findEntry(path);
        if (first < 0) return Optional.empty();
        for (int i = first; i < index.nextEntry(first); i++) {
            if (index.getEntry(i).getStage() == stage)
                return Optional.of(index.getEntry(i).getObjectId());
        }
        return Optional.empty();
    }

    /** The file {@code path} names in a commit; empty when it names nothing there, a folder or a submodule. */
    Optional<ObjectId> blobAt(ObjectId commitId, String path) throws IOException {
        if (path.isEmpty()) return Optional.empty(); // the top folder
        try (RevWalk walk = new RevWalk(git)) {
            RevCommit commit = walk.parseCommit(commitId);
            try (TreeWalk tw = TreeWalk.forPath(git, path, commit.getTree())) {
                return tw == null || tw.getFileMode(0).getObjectType() != Constants.OBJ_BLOB
                        ? Optional.empty()
                        : Optional.of(tw.getObjectId(0));
            }
        }
    }

    private Optional<ObjectId> blobAt(String rev, String path) throws IOException {
        Optional<ObjectId> commit = commit(rev);
        return commit.isEmpty() ? Optional.empty() : blobAt(commit.get(), path);
    }

    /**
     * Brings those of {@code blobs} that git's object database lacks (a partial clone left them out) into it, in one
     * request, so that reading them one by one afterwards starts no process per blob. Each blob is asked for once: one
     * git could not fetch is reported, with git's reason, when it is read.
     */
    synchronized void fetchMissing(Collection<ObjectId> blobs) throws IOException {
        Set<ObjectId> missing = new LinkedHashSet<>();
        for (ObjectId blob : blobs) {
            if (!asked.containsKey(blob) && !git.getObjectDatabase().has(blob)) missing.add(blob.copy());
        }
        if (missing.isEmpty()) return;
        Optional<String> failure = Optional.empty();
        try {
            promised.fetch(missing.stream().map(ObjectId::name).toList());
        } catch (IOException e) {
            failure = Optional.of(e.getMessage());
        }
        for (ObjectId blob : missing) asked.put(blob, failure);
    }

    /** A blob's loader; one that git's object database lacks is fetched first, as git itself would. */
    private ObjectLoader open(ObjectId blob) throws IOException {
        try {
            return git.open(blob);
        } catch (MissingObjectException e) {
            fetchMissing(List.of(blob));
        }
        try {
            return git.open(blob);
        } catch (MissingObjectException e) {
            throw new MissingBlobException(blob, asked.getOrDefault(blob, Optional.empty()));
        }
    }

    /** Reads a blob as a manifest; empty when the blob is something else. */
    Optional<Manifest> manifestOfBlob(ObjectId blob) throws IOException {
        Optional<byte[]> bytes = manifestBytesOfBlob(blob);
        return bytes.isEmpty() ? Optional.empty() : Optional.of(Manifest.parse(bytes.get()));
    }

    /** The bytes of a blob that starts like a manifest (not yet parsed); empty when the blob is something else. */
    Optional<byte[]> manifestBytesOfBlob(ObjectId blob) throws IOException {
        ObjectLoader loader = open(blob);
        if (!startsLikeManifest(loader)) return Optional.empty();
        byte[] bytes = loader.getCachedBytes(Integer.MAX_VALUE);
        return Manifest.looksLike(bytes, bytes.length) ? Optional.of(bytes) : Optional.empty();
    }

    /** Whether a blob starts like a manifest, from its first bytes: not a whole manifest read to find out. */
    boolean startsLikeManifest(ObjectId blob) throws IOException {
        return startsLikeManifest(open(blob));
    }

    /** Most blobs are not manifests: only their first bytes are looked at. */
    private static boolean startsLikeManifest(ObjectLoader loader) throws IOException {
        if (loader.getSize() > MAX_MANIFEST_BYTES) return false;
        try (InputStream in = loader.openStream()) {
            return Manifest.looksLike(in);
        }
    }

    boolean isEmpty(ObjectId blob) throws IOException {
        return open(blob).getSize() == 0;
    }

    /** A small blob's bytes (an index or other text file); refused when larger than a manifest may be. */
    byte[] smallBlob(ObjectId blob, String path) throws IOException {
        ObjectLoader loader = open(blob);
        if (loader.getSize() > MAX_MANIFEST_BYTES) {
            throw new IOException(path + ": " + loader.getSize() + " bytes is too large for a text file");
        }
        return loader.getCachedBytes(Integer.MAX_VALUE);
    }

    /** A path and the blob stored for it: a tree entry, or a stage-0 index entry. */
    record PathBlob(String path, ObjectId blob) {}

    /** A blob and the place it was found, for messages: a path in a commit (its id) or in an index. */
    record FoundBlob(String where, String path, ObjectId blob) {}

    /** The files staged in the index (stage 0), in index order. */
    List<PathBlob> indexEntries() throws IOException {
        DirCache index = index();
        List<PathBlob> out = new ArrayList<>();
        for (int i = 0; i < index.getEntryCount(); i++) {
            DirCacheEntry e = index.getEntry(i);
            if (e.getStage() == 0 && e.getFileMode().getObjectType() == Constants.OBJ_BLOB) {
                out.add(new PathBlob(e.getPathString(), e.getObjectId()));
            }
        }
        return out;
    }

    /**
     * The staged files git keeps out of the work tree (the skip-worktree bit: outside a sparse checkout's cone), which
     * git takes as unchanged from the index, as a missing file or not.
     */
    Set<String> skippedInWorkTree() throws IOException {
        DirCache index = index();
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < index.getEntryCount(); i++) {
            if (index.getEntry(i).isSkipWorkTree()) out.add(index.getEntry(i).getPathString());
        }
        return out;
    }

    /**
     * The files in conflict (no stage 0), each by one side, in index order: ours (stage 2), or theirs (stage 3) where
     * ours deleted it.
     */
    List<PathBlob> unmergedEntries() throws IOException {
        DirCache index = index();
        Map<String, DirCacheEntry> side = new LinkedHashMap<>();
        for (int i = 0; i < index.getEntryCount(); i++) {
            DirCacheEntry e = index.getEntry(i);
            if (e.getStage() >= DirCacheEntry.STAGE_2 && e.getFileMode().getObjectType() == Constants.OBJ_BLOB) {
                side.putIfAbsent(e.getPathString(), e); // stages come in order: ours first
            }
        }
        return side.values().stream()
                .map(e -> new PathBlob(e.getPathString(), e.getObjectId()))
                .toList();
    }

    /** The files of a commit's tree, in tree order. */
    List<PathBlob> treeEntries(ObjectId commitId) throws IOException {
        List<PathBlob> out = new ArrayList<>();
        try (RevWalk walk = new RevWalk(git);
                TreeWalk tw = new TreeWalk(git)) {
            tw.addTree(walk.parseCommit(commitId).getTree());
            tw.setRecursive(true);
            while (tw.next()) {
                if (tw.getFileMode(0).getObjectType() == Constants.OBJ_BLOB) {
                    out.add(new PathBlob(tw.getPathString(), tw.getObjectId(0)));
                }
            }
        }
        return out;
    }

    Optional<ObjectId> firstParent(ObjectId commitId) throws IOException {
        try (RevWalk walk = new RevWalk(git)) {
            RevCommit c = walk.parseCommit(commitId);
            return c.getParentCount() == 0
                    ? Optional.empty()
                    : Optional.of(c.getParent(0).copy());
        }
    }

    /** A file version that a commit introduced: its blob differs from the commit's first parent's (or it is new). */
    record Introduced(ObjectId commit, Optional<ObjectId> parent, PathBlob file) {}

    /**
     * Every file version the commits reachable from {@code tips} introduce, oldest commit first: each commit compared
     * with its first parent, so a version is listed where it entered each line of history.
     */
    List<Introduced> introduced(List<ObjectId> tips) throws IOException {
        List<Introduced> out = new ArrayList<>();
        try (RevWalk walk = new RevWalk(git)) {
            walk.sort(RevSort.TOPO, true);
            walk.sort(RevSort.REVERSE, true);
            for (ObjectId tip : tips) walk.markStart(walk.parseCommit(tip));
            for (RevCommit c; (c = walk.next()) != null; ) {
                Optional<ObjectId> parent = c.getParentCount() == 0
                        ? Optional.empty()
                        : Optional.of(c.getParent(0).copy());
                try (TreeWalk tw = new TreeWalk(git)) {
                    if (parent.isPresent()) {
                        tw.addTree(walk.parseCommit(parent.get()).getTree());
                    } else {
                        tw.addTree(new EmptyTreeIterator());
                    }
                    tw.addTree(c.getTree());
                    tw.setRecursive(true);
                    tw.setFilter(TreeFilter.ANY_DIFF);
                    while (tw.next()) {
                        if (tw.getFileMode(1).getObjectType() == Constants.OBJ_BLOB) {
                            out.add(new Introduced(
                                    c.copy(), parent, new PathBlob(tw.getPathString(), tw.getObjectId(1))));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Stages {@code manifest} as the blob of {@code path}, whose stage-0 entry must exist; its stat data is kept, so
     * that Git still knows the work-tree file as unchanged (the file's bytes are the same, only their storage changed).
     */
    void restage(String path, byte[] manifest) throws IOException {
        ObjectId blob;
        try (ObjectInserter inserter = git.newObjectInserter()) {
            blob = inserter.insert(Constants.OBJ_BLOB, manifest);
            inserter.flush();
        }
        DirCache index = git.lockDirCache();
        try {
            DirCacheEntry entry = index.getEntry(path);
            if (entry == null || entry.getStage() != 0) throw new IOException(path + ": not staged (stage 0)");
            // through the editor, so that the cached trees that contain the path are invalidated too
            DirCacheEditor editor = index.editor();
            editor.add(new DirCacheEditor.PathEdit(path) {
                @Override
                public void apply(DirCacheEntry e) {
                    e.setObjectId(blob);
                }
            });
            editor.finish();
            index.write();
            if (!index.commit()) throw new IOException("cannot write the index: " + index);
        } finally {
            index.unlock();
        }
    }

    @Override
    public Optional<Manifest> manifest(String rev, String path) throws IOException {
        Optional<ObjectId> blob = blobAt(rev, path);
        try {
            return blob.isEmpty() ? Optional.empty() : manifestOfBlob(blob.get());
        } catch (MissingBlobException e) {
            throw e.of(path, rev);
        }
    }

    @Override
    public boolean copy(String rev, String path, Path target) throws IOException {
        Optional<ObjectId> blob = blobAt(rev, path);
        if (blob.isEmpty()) return false;
        try (OutputStream out = Files.newOutputStream(target)) {
            open(blob.get()).copyTo(out);
        } catch (MissingBlobException e) {
            throw e.of(path, rev);
        }
        return true;
    }

    @Override
    public void close() {
        git.close();
    }
}
