package org.gittheta.repo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.eclipse.jgit.lib.ObjectId;
import org.gittheta.config.Settings;
import org.gittheta.convert.Cleaner;
import org.gittheta.convert.Smudger;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.diff.CheckpointDiffer;
import org.gittheta.diff.FileSnapshot;
import org.gittheta.diff.Snapshot;
import org.gittheta.diff.StoredSnapshot;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.Formats;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.FisherLocator;
import org.gittheta.merge.FisherSource;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ThreeWayMerge;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.Credentials;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.transfer.ObjectRemote;
import org.gittheta.transfer.ObjectSource;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;

/**
 * A Git repository as git-theta sees it: the one entry point to clean and smudge, manifests and checkpoints at
 * revisions, diff, merge and moving objects. Settings are validated when an operation needs them, so a bad value
 * fails that operation (one file in a filter), not the opening. See docs/api.md.
 */
public final class ThetaRepository implements AutoCloseable {
    /** Values of computed parameters a merge holds in memory at once; a larger parameter is merged alone. */
    private static final long MERGE_MEMORY_BUDGET = 1L << 30;

    /**
     * Where a repository lives, as {@code git rev-parse --git-dir --git-common-dir --show-toplevel} says.
     * @param commonDir where objects shared by all work trees live (the parameter store is {@code <commonDir>/theta})
     * @param workTree  the top of the work tree (a bare repository: its directory)
     */
    public record Location(Path gitDir, Path commonDir, Path workTree) {}

    private final Location location;
    private final Settings settings;
    private final JGitRepo git;
    private final ObjectStore store;
    private final ParamDecoder decoder;
    private final RemoteChoice remotes;
    private final Progress progress;
    /** Built on first use, so that a bad setting fails the operation that needs it, not the opening. */
    private ParamEncoder encoder;
    private MissingObjects missing;

    private ThetaRepository(Location location, Settings settings, JGitRepo git, RemoteChoice remotes,
            Progress progress) {
        this.location = location;
        this.settings = settings;
        this.git = git;
        this.store = ObjectStore.inGitDir(location.commonDir());
        this.decoder = new ParamDecoder(store);
        this.remotes = remotes;
        this.progress = progress;
    }

    /**
     * @param credentials answers Git LFS servers that ask who we are
     * @param progress    told about long work (clean, smudge, transfers); {@link Progress#NONE} to stay silent
     */
    public static ThetaRepository open(Location location, Settings settings, Credentials credentials, Progress progress)
            throws IOException {
        JGitRepo git = JGitRepo.open(location.gitDir());
        return new ThetaRepository(location, settings, git,
                new RemoteChoice(settings, location.workTree(), credentials, progress), progress);
    }

    /** A repository for reading only: no remote is ever asked for objects, nothing is reported. */
    public static ThetaRepository open(Location location) throws IOException {
        return open(location, Settings.NONE, Credentials.NONE, Progress.NONE);
    }

    public Location location() { return location; }

    public Settings settings() { return settings; }

    /** Where parameter objects are kept on disk. */
    public Path objectsDir() { return store.objectsDir(); }

    // ---- clean and smudge

    /** Clean: the checkpoint Git streams in for {@code path} becomes the manifest written to {@code out}. */
    public void clean(String path, InputStream content, OutputStream out) throws IOException {
        Cleaner cleaner = new Cleaner(store, encoder(), progress);
        cleaner.clean(path, content, out, () -> {
            try {
                return indexManifest(path);
            } catch (ManifestException e) {
                return Optional.empty(); // an unreadable old version only costs the reuse
            }
        });
    }

    /** Smudge: the manifest Git streams in for {@code path} becomes the checkpoint written to {@code out}. */
    public void smudge(String path, InputStream content, OutputStream out) throws IOException {
        new Smudger(store, missingObjects(), progress).smudge(path, content, out);
    }

    // ---- revisions and manifests

    /** The one revision resolver: the full id of the commit {@code rev} names, empty if it names none. */
    public Optional<String> resolveCommit(String rev) throws IOException {
        return git.commit(rev).map(ObjectId::name);
    }

    /** The commits (full ids) of every ref under the prefixes, e.g. {@code refs/heads/}; tags peeled. */
    public List<String> refTips(String... prefixes) throws IOException {
        return git.refTips(prefixes).stream().map(ObjectId::name).toList();
    }

    /** The manifest staged for {@code path} (stage 0), if it is one. */
    public Optional<Manifest> indexManifest(String path) throws IOException {
        Optional<ObjectId> blob = git.indexBlob(path);
        return blob.isEmpty() ? Optional.empty() : git.manifestOfBlob(blob.get());
    }

    /** The id of the blob Git stores for {@code path} at a revision or in the index; empty elsewhere or if absent. */
    public Optional<String> blobId(Version version, String path) throws IOException {
        return blob(version, path).map(ObjectId::name);
    }

    private Optional<ObjectId> blob(Version version, String path) throws IOException {
        return switch (version) {
            case Version.Rev r -> {
                Optional<ObjectId> commit = git.commit(r.rev());
                yield commit.isEmpty() ? Optional.empty() : git.blobAt(commit.get(), path);
            }
            case Version.Index i -> git.indexBlob(path);
            case Version.WorkTree w -> Optional.empty();
            case Version.None n -> Optional.empty();
        };
    }

    /**
     * The manifest of {@code path} at a revision or in the index; empty when the path is absent there.
     * @throws ManifestException if the path holds something that is not a manifest (committed before it was tracked)
     */
    public Optional<Manifest> manifest(Version version, String path) throws IOException {
        if (version instanceof Version.WorkTree) {
            throw new IllegalArgumentException("the working tree has files, not manifests");
        }
        Optional<ObjectId> blob = blob(version, path);
        if (blob.isEmpty()) return Optional.empty();
        Optional<Manifest> m = git.manifestOfBlob(blob.get());
        if (m.isEmpty()) {
            throw new ManifestException(path + " in " + version
                    + " is not a git-theta manifest (was it committed before it was tracked?)");
        }
        return m;
    }

    /** A committed checkpoint's parameters, read without checking it out; missing objects are fetched first. */
    public Checkpoint checkpoint(String rev, String path) throws IOException {
        String what = rev + ":" + path;
        if (resolveCommit(rev).isEmpty()) throw new IOException("unknown revision '" + rev + "'");
        Manifest m = manifest(new Version.Rev(rev), path).orElseThrow(() -> new IOException(what + ": no such path"));
        missingObjects().ensurePresent(what, m);
        return new Checkpoint(what, m, decoder);
    }

    // ---- diff

    /**
     * Per-parameter differences of {@code path} between two versions (absent on a side: every parameter added or
     * removed). Objects of changed parameters that the store lacks are fetched first.
     */
    public CheckpointDiff diff(Version before, Version after, String path,
            Predicate<String> params) throws IOException {
        Optional<Manifest> a = storedManifest(before, path);
        Optional<Manifest> b = storedManifest(after, path);
        fetchChanged(path, a, b);
        fetchChanged(path, b, a);
        Snapshot x = snapshot(before, path, a);
        try {
            Snapshot y = snapshot(after, path, b);
            try {
                return CheckpointDiffer.diff(x, y, params);
            } finally {
                if (y instanceof FileSnapshot f) f.close();
            }
        } finally {
            if (x instanceof FileSnapshot f) f.close();
        }
    }

    private Optional<Manifest> storedManifest(Version version, String path) throws IOException {
        return version instanceof Version.WorkTree ? Optional.empty() : manifest(version, path);
    }

    /** Fetches the objects of parameters of {@code side} whose objects {@code other} does not share. */
    private void fetchChanged(String path, Optional<Manifest> side, Optional<Manifest> other) throws IOException {
        if (side.isEmpty()) return;
        Map<String, ParamEntry> others = other.map(Manifest::byName).orElse(Map.of());
        List<ParamEntry> changed = new ArrayList<>();
        for (ParamEntry p : side.get().params()) {
            ParamEntry o = others.get(p.name());
            boolean missing = p.objects().stream().anyMatch(r -> !store.contains(r.id()));
            if (missing && (o == null || !o.objects().equals(p.objects()))) changed.add(p);
        }
        if (changed.isEmpty()) return;
        Manifest m = side.get();
        missingObjects().ensurePresent(path, new Manifest(m.format(), m.skeleton(), m.fileSize(), changed));
    }

    private Snapshot snapshot(Version version, String path, Optional<Manifest> stored) throws IOException {
        if (version instanceof Version.WorkTree) {
            Path file = location.workTree().resolve(path);
            if (!Files.isRegularFile(file)) return StoredSnapshot.absent(store);
            CheckpointFormat format = Formats.forPath(path)
                    .orElseThrow(() -> new BadCheckpointException(path,
                            "git-theta does not know this checkpoint format"));
            return FileSnapshot.open(file, path, format);
        }
        return stored.isEmpty() ? StoredSnapshot.absent(store) : new StoredSnapshot(stored.get(), store);
    }

    // ---- merge

    /**
     * Three-way merge of one checkpoint's manifests with the configured strategy ({@code theta.merge.*}); objects
     * of the three versions are fetched first.
     * @param theirsRev the commit being merged in, if known (where {@code theta.merge.fisherAt} is read for theirs)
     * @param workDir   what relative Fisher file names are relative to
     */
    public MergeResult merge(String path, MergeConfig config, Optional<Manifest> base, Manifest ours, Manifest theirs,
                             Optional<String> theirsRev, Path workDir) throws IOException {
        MissingObjects missing = missingObjects();
        missing.ensurePresent(path, ours);
        missing.ensurePresent(path, theirs);
        if (base.isPresent()) missing.ensurePresent(path, base.get());
        try (FisherLocator fishers = new FisherLocator(path, config, git, missing, decoder, workDir,
                location.commonDir());
             FisherSource fo = fishers.ours("HEAD");
             FisherSource ft = fishers.theirs(theirsRev)) {
            return new ThreeWayMerge(decoder, encoder(), config, fo, ft, MERGE_MEMORY_BUDGET)
                    .merge(path, base, ours, theirs);
        }
    }

    // ---- objects and remotes

    /** The parameter objects checking out these commits needs (the manifests in their trees, not their history). */
    public Set<ObjectRef> objectsAt(Collection<String> commits) throws IOException {
        return ReferencedObjects.atCommits(git, ids(commits));
    }

    /**
     * The objects of every manifest version that commits reachable from {@code tips} but not from {@code known}
     * introduce, plus those at the tips. Ids in {@code known} this repository does not have are ignored.
     */
    public Set<ObjectRef> objectsIntroducedBy(Collection<String> tips, Collection<String> known) throws IOException {
        return ReferencedObjects.introducedBy(git, ids(tips), ids(known));
    }

    private static List<ObjectId> ids(Collection<String> commits) {
        return commits.stream().map(ObjectId::fromString).toList();
    }

    /**
     * The remote objects come from and go to unless one is named: {@code theta.remote}, else origin, else the only one.
     */
    public Optional<String> defaultRemote() { return settings.defaultRemote(); }

    /** A remote by name, or a URL given in its place; empty if it has no URL and no LFS endpoint is configured. */
    public Optional<ObjectRemote> remote(String nameOrUrl) throws IOException { return remotes.remote(nameOrUrl); }

    /** A remote whose name and URL git has told (the pre-push hook). */
    public Optional<ObjectRemote> remote(String name, String url) throws IOException {
        return remotes.forUrl(name, Optional.of(url));
    }

    /** What {@link #fetch} moved and what the remote did not have. */
    public record Fetched(int objects, long bytes, List<ObjectRef> notThere) {}

    /** Downloads those of {@code wanted} that the store lacks. */
    public Fetched fetch(ObjectRemote remote, Set<ObjectRef> wanted) throws IOException {
        List<ObjectRef> missing = wanted.stream().filter(r -> !store.contains(r.id())).toList();
        remote.fetch(missing, store);
        List<ObjectRef> still = missing.stream().filter(r -> !store.contains(r.id())).toList();
        long bytes = missing.stream().filter(r -> store.contains(r.id())).mapToLong(ObjectRef::size).sum();
        return new Fetched(missing.size() - still.size(), bytes, still);
    }

    /** Uploads those of {@code objects} the remote lacks; returns how many were sent. */
    public int push(ObjectRemote remote, Set<ObjectRef> objects) throws IOException {
        return remote.push(objects, store);
    }

    /** Fetches, in one batch from the default remote, every object the manifest needs that the store lacks. */
    public void ensurePresent(String file, Manifest manifest) throws IOException {
        missingObjects().ensurePresent(file, manifest);
    }

    // ---- housekeeping

    /**
     * Checks every object that refs, reflogs, HEADs, indexes (all stages) and the stash use, and the parameter
     * versions they rebuild; objects whose bytes do not hash to their name are moved to {@code theta/bad}.
     * @param unreferencedToo also check stored objects nothing uses
     */
    public FsckReport fsck(boolean unreferencedToo) throws IOException {
        return new StoreCheck(store, decoder).run(StoreUses.all(git, location.commonDir()), unreferencedToo);
    }

    /** Removes objects nothing reachable uses; with a remote to verify, old ones it holds, and stale temp files. */
    public GcReport gc(GcOptions options) throws IOException {
        StoreUses reachable = StoreUses.all(git, location.commonDir());
        StoreUses current = options.verifyRemote().isPresent()
                ? StoreUses.current(git, location.commonDir()) : reachable;
        return new StoreGc(store, options).run(reachable, current);
    }

    private synchronized MissingObjects missingObjects() throws IOException {
        if (missing == null) {
            Optional<String> name = settings.defaultRemote();
            Optional<ObjectSource> source = name.isEmpty() ? Optional.empty() : remotes.remote(name.get()).map(r -> r);
            missing = new MissingObjects(store, source);
        }
        return missing;
    }

    private synchronized ParamEncoder encoder() throws IOException {
        if (encoder == null) encoder = new ParamEncoder(store, settings.codec(), settings.updateOptions());
        return encoder;
    }

    @Override public void close() { git.close(); }

}
