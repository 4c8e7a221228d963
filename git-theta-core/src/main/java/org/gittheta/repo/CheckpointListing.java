package org.gittheta.repo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.format.ShardIndex;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.JGitRepo.PathBlob;
import org.gittheta.repo.TrackedCheckpoint.Presence;
import org.gittheta.repo.TrackedCheckpoint.Staged;
import org.gittheta.repo.TrackedCheckpoint.Status;
import org.gittheta.repo.TrackedCheckpoint.WorkTree;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.ObjectRemote;

/**
 * Finds the tracked checkpoints of the index, of a commit or of the whole history, and describes each from its
 * manifest: a blob is a checkpoint's manifest by its content, whatever the path's name. Reads manifests only; the
 * work tree is compared by {@link WorkTreeCompare}, which writes nothing.
 */
final class CheckpointListing {
    /** A version of a path to describe, the version it replaced (for the new bytes) and, for status, its state. */
    record Found(String path, String version, Manifest manifest, Optional<Manifest> parent, Optional<Status> status) {}

    /** The format of the row that stands for a whole sharded checkpoint, under its index's path. */
    static final String SHARDED = "sharded";

    private final JGitRepo git;
    private final ObjectStore store;
    private final Map<String, String> shardOf = new HashMap<>();

    CheckpointListing(JGitRepo git, ObjectStore store) {
        this.git = git;
        this.store = store;
    }

    /** The manifests staged in the index, each against HEAD's version, with the work tree compared. */
    List<Found> index(WorkTreeCompare workTree) throws IOException {
        List<PathBlob> entries = git.indexEntries();
        Set<String> skipped = git.skippedInWorkTree();
        readShardIndexes(entries.stream().map(e -> found("index", e)).toList());
        Optional<ObjectId> head = git.commit("HEAD");
        List<Found> out = new ArrayList<>();
        for (PathBlob e : entries) {
            Optional<Manifest> staged = manifest(e, "index");
            if (staged.isEmpty()) continue;
            Optional<ObjectId> headBlob = head.isEmpty() ? Optional.empty() : git.blobAt(head.get(), e.path());
            Optional<Manifest> parent = headManifest(e.path(), headBlob);
            Staged state;
            if (headBlob.isEmpty()) state = Staged.NEW;
            else if (headBlob.get().equals(e.blob())) state = Staged.UNCHANGED;
            else if (parent.isPresent() && parent.get().sameFileAs(staged.get())) state = Staged.STORAGE_ONLY;
            else state = Staged.MODIFIED;
            WorkTree file = skipped.contains(e.path()) ? WorkTree.UNMODIFIED : workTree.state(e.path(), staged.get());
            Status status = new Status(state, file);
            out.add(new Found(e.path(), "index", staged.get(), parent, Optional.of(status)));
        }
        for (PathBlob e : git.unmergedEntries()) {
            Optional<Manifest> side = manifest(e, "index");
            if (side.isEmpty()) continue;
            Optional<Manifest> parent =
                    headManifest(e.path(), head.isEmpty() ? Optional.empty() : git.blobAt(head.get(), e.path()));
            Status status = new Status(Staged.UNMERGED, workTree.state(e.path(), side.get()));
            out.add(new Found(e.path(), "index", side.get(), parent, Optional.of(status)));
        }
        out.sort(java.util.Comparator.comparing(Found::path));
        return withShardedModels(out);
    }

    /** The manifests in a commit's tree, each against its first parent's version. */
    List<Found> commit(ObjectId commit) throws IOException {
        List<PathBlob> entries = git.treeEntries(commit);
        Optional<ObjectId> parent = git.firstParent(commit);
        Map<String, ObjectId> before = new HashMap<>();
        for (PathBlob e : entries) {
            if (parent.isPresent()) git.blobAt(parent.get(), e.path()).ifPresent(b -> before.put(e.path(), b));
        }
        List<ObjectId> blobs = new ArrayList<>(before.values());
        entries.forEach(e -> blobs.add(e.blob()));
        git.fetchMissing(blobs); // one request for what a partial clone lacks
        readShardIndexes(entries.stream().map(e -> found(commit.name(), e)).toList());
        List<Found> out = new ArrayList<>();
        for (PathBlob e : entries) {
            Optional<Manifest> m = manifest(e, commit.name());
            if (m.isEmpty()) continue;
            ObjectId b = before.get(e.path());
            out.add(new Found(
                    e.path(),
                    commit.name(),
                    m.get(),
                    b == null
                            ? Optional.empty()
                            : parentManifest(e.path(), parent.get().name(), b),
                    Optional.empty()));
        }
        return withShardedModels(out);
    }

    /**
     * Every distinct version of every checkpoint in the history reachable from {@code tips}, once, at the oldest
     * commit that introduced it, against that commit's first parent's version; oldest first.
     */
    List<Found> history(List<ObjectId> tips) throws IOException {
        List<JGitRepo.Introduced> introduced = git.introduced(tips);
        // every version's parent version is introduced before it: one request fetches what a partial clone lacks
        git.fetchMissing(introduced.stream().map(i -> i.file().blob()).toList());
        readShardIndexes(
                introduced.stream().map(i -> found(i.commit().name(), i.file())).toList());
        Set<PathBlob> seen = new HashSet<>();
        List<Found> out = new ArrayList<>();
        for (JGitRepo.Introduced i : introduced) {
            if (!seen.add(i.file())) continue;
            Optional<Manifest> m = manifest(i.file(), i.commit().name());
            if (m.isEmpty()) continue;
            Optional<ObjectId> before = i.parent().isEmpty()
                    ? Optional.empty()
                    : git.blobAt(i.parent().get(), i.file().path());
            out.add(new Found(
                    i.file().path(),
                    i.commit().name(),
                    m.get(),
                    before.isEmpty()
                            ? Optional.empty()
                            : parentManifest(i.file().path(), i.parent().get().name(), before.get()),
                    Optional.empty()));
        }
        return out;
    }

    /**
     * Adds, after the last shard of each sharded checkpoint, one row for the whole model under its index's path:
     * format {@value #SHARDED}, every shard's parameters, and the shards' common state (else modified).
     */
    private List<Found> withShardedModels(List<Found> files) {
        Map<String, List<Found>> byIndex = new LinkedHashMap<>();
        for (Found f : files) {
            String index = shardOf.get(f.path());
            if (index != null)
                byIndex.computeIfAbsent(index, k -> new ArrayList<>()).add(f);
        }
        List<Found> out = new ArrayList<>(files);
        for (var e : byIndex.entrySet()) {
            Optional<Found> model = model(e.getKey(), e.getValue());
            if (model.isPresent()) out.add(out.indexOf(e.getValue().getLast()) + 1, model.get());
        }
        return out;
    }

    /** The shards as one model; empty when two shards hold one name (the index's problem, which diff reports). */
    private static Optional<Found> model(String indexPath, List<Found> shards) {
        List<ParamEntry> params = new ArrayList<>();
        List<ParamEntry> before = new ArrayList<>();
        long size = 0;
        for (Found s : shards) {
            params.addAll(s.manifest().params());
            size += s.manifest().fileSize();
            s.parent().ifPresent(p -> before.addAll(p.params()));
        }
        try {
            Manifest model = new Manifest(SHARDED, new byte[0], size, params);
            Optional<Manifest> parent =
                    before.isEmpty() ? Optional.empty() : Optional.of(new Manifest(SHARDED, new byte[0], 0, before));
            Optional<Status> status = shards.getFirst().status().isEmpty()
                    ? Optional.empty()
                    : Optional.of(new Status(staged(shards), workTree(shards)));
            return Optional.of(new Found(indexPath, shards.getFirst().version(), model, parent, status));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The shards' common state; unmerged if one is, unchanged beside storage-only is storage-only, any other mix
     * modified.
     */
    private static Staged staged(List<Found> shards) {
        Set<Staged> states = EnumSet.noneOf(Staged.class);
        for (Found s : shards) states.add(s.status().orElseThrow().staged());
        if (states.contains(Staged.UNMERGED)) return Staged.UNMERGED;
        if (states.size() == 1) return states.iterator().next();
        return EnumSet.of(Staged.UNCHANGED, Staged.STORAGE_ONLY).containsAll(states)
                ? Staged.STORAGE_ONLY
                : Staged.MODIFIED;
    }

    /** The shards' common state; any mix is modified. */
    private static WorkTree workTree(List<Found> shards) {
        Set<WorkTree> states = EnumSet.noneOf(WorkTree.class);
        for (Found s : shards) states.add(s.status().orElseThrow().workTree());
        return states.size() == 1 ? states.iterator().next() : WorkTree.MODIFIED;
    }

    /** The blob's manifest; empty when it is another file. @throws ManifestException naming the path and version */
    private Optional<Manifest> manifest(PathBlob e, String version) throws IOException {
        try {
            return git.manifestOfBlob(e.blob());
        } catch (ManifestException x) {
            throw new ManifestException(e.path() + " in " + version + ": " + x.getMessage());
        } catch (MissingBlobException x) {
            throw x.of(e.path(), version);
        }
    }

    private Optional<Manifest> headManifest(String path, Optional<ObjectId> headBlob) throws IOException {
        return headBlob.isEmpty() ? Optional.empty() : parentManifest(path, "HEAD", headBlob.get());
    }

    /** A parent version that cannot be parsed only costs the comparison: everything counts as new. */
    private Optional<Manifest> parentManifest(String path, String version, ObjectId blob) throws IOException {
        try {
            return git.manifestOfBlob(blob);
        } catch (ManifestException e) {
            return Optional.empty();
        } catch (MissingBlobException e) {
            throw e.of(path, version);
        }
    }

    private static JGitRepo.FoundBlob found(String where, PathBlob file) {
        return new JGitRepo.FoundBlob(where, file.path(), file.blob());
    }

    /** Which listed files a sharded checkpoint's index names as shards; an index that does not parse names none. */
    private void readShardIndexes(List<JGitRepo.FoundBlob> files) throws IOException {
        for (JGitRepo.FoundBlob f : files) {
            if (!ShardIndex.isIndexPath(f.path())) continue;
            try {
                ShardIndex index = ShardIndex.parse(f.path(), git.smallBlob(f.blob(), f.path()));
                for (String shard : index.shards()) shardOf.putIfAbsent(index.shardPath(shard), f.path());
            } catch (BadCheckpointException e) {
                // not an index after all (or a broken one): history reports it, the listing has nothing to say
            } catch (MissingBlobException e) {
                throw e.of(f.path(), f.where());
            }
        }
    }

    /** Whom to ask about objects the local store lacks. */
    sealed interface RemoteView {
        /** No remote is configured: what is not here is missing. */
        record None() implements RemoteView {}

        /** Not asked (offline): what is not here is unknown. */
        record Offline(String name) implements RemoteView {}

        record Ask(String name, ObjectRemote remote) implements RemoteView {}
    }

    /**
     * Describes each version; objects the local store lacks are looked up on the remote in one request. A remote that
     * cannot be asked leaves them unknown, and the listing says why.
     */
    TrackedCheckpoint.Listing describe(List<Found> found, RemoteView remote) {
        List<Set<ObjectRef>> objects = new ArrayList<>();
        Set<ObjectRef> absent = new LinkedHashSet<>();
        for (Found f : found) {
            Set<ObjectRef> refs = f.manifest().objects();
            objects.add(refs);
            for (ObjectRef r : refs) if (!store.contains(r.id())) absent.add(r);
        }
        Optional<Set<org.gittheta.store.ObjectId>> held = Optional.empty();
        Optional<String> problem = Optional.empty();
        if (remote instanceof RemoteView.Ask ask && !absent.isEmpty()) {
            try {
                held = Optional.of(ask.remote().holding(absent));
            } catch (IOException e) {
                problem = Optional.of(ask.remote().describe() + ": " + e.getMessage());
            }
        }
        boolean knownAbsent = remote instanceof RemoteView.None || held.isPresent();
        List<TrackedCheckpoint> out = new ArrayList<>();
        for (int i = 0; i < found.size(); i++) {
            int local = 0, remoteOnly = 0, missing = 0, unknown = 0;
            for (ObjectRef r : objects.get(i)) {
                if (!absent.contains(r)) local++;
                else if (held.isPresent() && held.get().contains(r.id())) remoteOnly++;
                else if (knownAbsent) missing++;
                else unknown++;
            }
            Presence presence = new Presence(objects.get(i).size(), local, remoteOnly, missing, unknown);
            out.add(describe(found.get(i), objects.get(i), presence));
        }
        Optional<String> name = switch (remote) {
            case RemoteView.None n -> Optional.empty();
            case RemoteView.Offline o -> Optional.of(o.name());
            case RemoteView.Ask a -> Optional.of(a.name());
        };
        return new TrackedCheckpoint.Listing(out, name, problem);
    }

    private TrackedCheckpoint describe(Found f, Set<ObjectRef> objects, Presence presence) {
        Manifest m = f.manifest();
        boolean whole = m.format().equals(OpaqueFormat.INSTANCE.name());
        TreeMap<String, Integer> storage = new TreeMap<>();
        int lossy = 0, depth = 0;
        long parameters = 0;
        for (ParamEntry p : m.params()) {
            storage.merge(p.update(), 1, Integer::sum);
            if (p.lossy()) lossy++;
            depth = Math.max(depth, p.chainDepth());
            parameters += p.shape().numel();
        }
        Set<ObjectRef> before = f.parent().map(Manifest::objects).orElse(Set.of());
        long newBytes = 0, totalBytes = 0;
        for (ObjectRef r : objects) {
            totalBytes += r.size();
            if (!before.contains(r)) newBytes += r.size();
        }
        return new TrackedCheckpoint(
                f.path(),
                f.version(),
                Optional.ofNullable(shardOf.get(f.path())),
                m.format(),
                whole ? 0 : m.params().size(),
                whole ? 0 : parameters,
                m.fileSize(),
                storage,
                lossy,
                depth,
                newBytes,
                totalBytes,
                presence,
                f.status());
    }
}
