package org.gittheta.repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.util.RawParseUtils;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.ObjectStore;

/**
 * Which parameter objects a repository still uses, and where: the manifests of every commit reachable from refs,
 * reflogs (the stash is a ref with a reflog) and the HEADs of all work trees, and of every index (all stages) of all
 * work trees. A manifest lists each parameter's whole delta chain, so the bases that reachable deltas need are
 * found without reading objects. {@link #current} reads only what is checked out or at a branch tip.
 */
final class StoreUses {
    /** A parameter version and the first place found that uses it. */
    record ParamUse(ParamEntry entry, ObjectUse use) {}

    /** A manifest that could not be read: nothing it references can be known. */
    record BadManifest(String where, String path, String message) {}

    private final JGitRepo repo;
    private final Path commonDir;
    private final Map<org.gittheta.store.ObjectId, ObjectUse> objects = new LinkedHashMap<>();
    private final Map<List<ObjectRef>, ParamUse> params = new LinkedHashMap<>();
    private final List<BadManifest> badManifests = new ArrayList<>();
    /** Every blob found, once each, at the first place found: read at the end, fetched together in a partial clone. */
    private final List<JGitRepo.FoundBlob> found = new ArrayList<>();

    private final Set<ObjectId> seenBlobs = new HashSet<>();
    private final Set<ObjectId> seenTrees = new HashSet<>();

    private StoreUses(JGitRepo repo, Path commonDir) {
        this.repo = repo;
        this.commonDir = commonDir;
    }

    /** Everything anything reachable uses: history of refs, reflogs and HEADs, and every index. */
    static StoreUses all(JGitRepo repo, Path commonDir) throws IOException {
        StoreUses uses = new StoreUses(repo, commonDir);
        Set<ObjectId> starts = new LinkedHashSet<>(uses.tips(false));
        starts.addAll(uses.reflogEntries());
        uses.findInHistory(starts);
        uses.findInIndexes();
        uses.readFound();
        return uses;
    }

    /** What the current versions use: the trees at HEADs and branch tips (not their history), and every index. */
    static StoreUses current(JGitRepo repo, Path commonDir) throws IOException {
        StoreUses uses = new StoreUses(repo, commonDir);
        try (RevWalk walk = new RevWalk(repo.git())) {
            for (ObjectId tip : uses.tips(true)) {
                Optional<RevCommit> c = commit(walk, tip);
                if (c.isPresent()) uses.findInTree(c.get().name(), c.get().getTree());
            }
        }
        uses.findInIndexes();
        uses.readFound();
        return uses;
    }

    Map<org.gittheta.store.ObjectId, ObjectUse> objects() {
        return objects;
    }

    /** Each distinct parameter version (by its chain of objects). */
    Iterable<ParamUse> params() {
        return params.values();
    }

    List<BadManifest> badManifests() {
        return badManifests;
    }

    /** Refs (or only branches) and the HEAD of every work tree. */
    private List<ObjectId> tips(boolean branchesOnly) throws IOException {
        List<ObjectId> out = new ArrayList<>();
        List<Ref> refs = branchesOnly
                ? repo.git().getRefDatabase().getRefsByPrefix(Constants.R_HEADS)
                : repo.git().getRefDatabase().getRefs();
        for (Ref ref : refs) {
            Ref peeled = repo.git().getRefDatabase().peel(ref);
            ObjectId id = peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : ref.getObjectId();
            if (id != null) out.add(id);
        }
        Ref head = repo.git().exactRef(Constants.HEAD);
        if (head != null && head.getObjectId() != null) out.add(head.getObjectId());
        for (Path wt : linkedWorkTrees()) {
            Optional<ObjectId> id = headOf(wt);
            if (id.isPresent()) out.add(id.get());
        }
        return out;
    }

    private List<Path> linkedWorkTrees() throws IOException {
        Path dir = commonDir.resolve("worktrees");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    /** A linked work tree's HEAD: a commit id when detached, else the branch it names (a ref read already). */
    private Optional<ObjectId> headOf(Path workTreeGitDir) throws IOException {
        Path head = workTreeGitDir.resolve(Constants.HEAD);
        if (!Files.isRegularFile(head)) return Optional.empty();
        // a branch name is any bytes git allows, not only UTF-8: decoded as JGit decodes the ref names it lists
        String text = RawParseUtils.decode(Files.readAllBytes(head)).strip();
        if (text.startsWith("ref: ")) {
            Ref ref = repo.git().exactRef(text.substring(5));
            return ref == null ? Optional.empty() : Optional.ofNullable(ref.getObjectId());
        }
        return ObjectId.isId(text) ? Optional.of(ObjectId.fromString(text)) : Optional.empty();
    }

    /** The old and new commit of every reflog line, of every ref and every work tree's HEAD. */
    private Set<ObjectId> reflogEntries() throws IOException {
        List<Path> logs = new ArrayList<>();
        Path logDir = commonDir.resolve("logs");
        if (Files.isDirectory(logDir)) {
            try (Stream<Path> s = Files.walk(logDir)) {
                s.filter(Files::isRegularFile).forEach(logs::add);
            }
        }
        for (Path wt : linkedWorkTrees()) {
            Path log = wt.resolve("logs").resolve(Constants.HEAD);
            if (Files.isRegularFile(log)) logs.add(log);
        }
        Set<ObjectId> out = new LinkedHashSet<>();
        for (Path log : logs) {
            for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
                String[] f = line.split(" ", 3);
                if (f.length < 3) continue;
                for (int i = 0; i < 2; i++) {
                    boolean commit = ObjectId.isId(f[i])
                            && !f[i].equals(ObjectId.zeroId().name());
                    if (commit) out.add(ObjectId.fromString(f[i]));
                }
            }
        }
        return out;
    }

    private static Optional<RevCommit> commit(RevWalk walk, ObjectId id) throws IOException {
        try {
            RevObject o = walk.peel(walk.parseAny(id));
            return o instanceof RevCommit c ? Optional.of(c) : Optional.empty();
        } catch (MissingObjectException e) {
            return Optional.empty(); // a reflog may name a commit git gc already removed
        }
    }

    private void findInHistory(Set<ObjectId> starts) throws IOException {
        try (RevWalk walk = new RevWalk(repo.git())) {
            for (ObjectId id : starts) {
                Optional<RevCommit> c = commit(walk, id);
                if (c.isPresent()) walk.markStart(c.get());
            }
            for (RevCommit c; (c = walk.next()) != null; ) findInTree(c.name(), c.getTree());
        }
    }

    /** Finds the blobs of a tree, entering each subtree once over the whole walk: history shares most of them. */
    private void findInTree(String where, RevTree tree) throws IOException {
        if (!seenTrees.add(tree.copy())) return;
        try (TreeWalk tw = new TreeWalk(repo.git())) {
            tw.addTree(tree);
            while (tw.next()) {
                if (tw.isSubtree()) {
                    if (seenTrees.add(tw.getObjectId(0))) tw.enterSubtree();
                } else if (tw.getFileMode(0) != FileMode.GITLINK) {
                    find(where, tw.getPathString(), tw.getObjectId(0));
                }
            }
        }
    }

    private void findInIndexes() throws IOException {
        findInIndex("index", commonDir.resolve("index"));
        for (Path wt : linkedWorkTrees()) findInIndex("worktree " + wt.getFileName() + " index", wt.resolve("index"));
    }

    private void findInIndex(String name, Path file) throws IOException {
        if (!Files.isRegularFile(file)) return;
        DirCache index = JGitRepo.readIndex(file);
        for (int i = 0; i < index.getEntryCount(); i++) {
            DirCacheEntry e = index.getEntry(i);
            if (e.getFileMode() == FileMode.GITLINK) continue; // a submodule's commit, in its own repository
            String where = e.getStage() == 0 ? name : name + " stage " + e.getStage();
            find(where, e.getPathString(), e.getObjectId());
        }
    }

    private void find(String where, String path, ObjectId blob) {
        ObjectId id = blob.copy();
        // a manifest is known by its content, whatever the file's name
        if (seenBlobs.add(id)) found.add(new JGitRepo.FoundBlob(where, path, id));
    }

    private void readFound() throws IOException {
        repo.fetchMissing(found.stream().map(JGitRepo.FoundBlob::blob).toList());
        for (JGitRepo.FoundBlob f : found) readBlob(f.where(), f.path(), f.blob());
    }

    private void readBlob(String where, String path, ObjectId blob) throws IOException {
        Optional<Manifest> manifest;
        try {
            manifest = repo.manifestOfBlob(blob);
        } catch (ManifestException | MissingBlobException e) {
            // a blob a partial clone left out and git could not fetch may be a manifest: what it uses is unknown
            badManifests.add(new BadManifest(where, path, e.getMessage()));
            return;
        }
        if (manifest.isEmpty()) return;
        for (ParamEntry p : manifest.get().params()) {
            if (p.isInline()) continue; // no object; the manifest's reader checked the values against their sha256
            ObjectUse use = new ObjectUse(where, path, p.name());
            params.putIfAbsent(p.objects(), new ParamUse(p, use));
            for (ObjectRef r : p.objects()) objects.putIfAbsent(r.id(), use);
        }
    }

    /** Every object file in the store, by id; files whose names are not ids are not objects and are left alone. */
    static List<org.gittheta.store.ObjectId> storedObjects(ObjectStore store) throws IOException {
        if (!Files.isDirectory(store.objectsDir())) return List.of();
        try (Stream<Path> s = Files.walk(store.objectsDir())) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> atItsPlace(store, p))
                    .map(p -> new org.gittheta.store.ObjectId(p.getFileName().toString()))
                    .sorted()
                    .toList();
        }
    }

    private static boolean atItsPlace(ObjectStore store, Path file) {
        String name = file.getFileName().toString();
        return org.gittheta.store.ObjectId.isValid(name)
                && file.equals(store.pathOf(new org.gittheta.store.ObjectId(name)));
    }
}
