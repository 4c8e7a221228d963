package org.gittheta.repo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.gittheta.config.Settings;
import org.gittheta.convert.CleanResult;
import org.gittheta.convert.Cleaner;
import org.gittheta.convert.ContentSums;
import org.gittheta.convert.Smudger;
import org.gittheta.convert.StatCache;
import org.gittheta.diff.CheckpointDiff;
import org.gittheta.diff.CheckpointDiffer;
import org.gittheta.diff.FileSnapshot;
import org.gittheta.diff.ModelSnapshot;
import org.gittheta.diff.Snapshot;
import org.gittheta.diff.StoredSnapshot;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.OpaqueFormat;
import org.gittheta.format.ShardIndex;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.CommittedFiles;
import org.gittheta.merge.FisherLocator;
import org.gittheta.merge.FisherSource;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.MergedFile;
import org.gittheta.merge.NWayMerge;
import org.gittheta.merge.ParamStrategies;
import org.gittheta.progress.Progress;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.Credentials;
import org.gittheta.transfer.MissingObjects;
import org.gittheta.transfer.ObjectRemote;
import org.gittheta.transfer.ObjectSource;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateData;

/**
 * A Git repository as git-theta sees it: the one entry point to clean and smudge, manifests and checkpoints at
 * revisions, diff, merge and moving objects. Settings are validated when an operation needs them, so a bad value
 * fails that operation (one file in a filter), not the opening. See docs/api.md.
 */
public final class ThetaRepository implements AutoCloseable {
    /** Values of computed parameters a merge holds in memory at once; a larger parameter is merged alone. */
    private static final long MERGE_MEMORY_BUDGET = 128L << 20;

    /**
     * Where a repository lives, as {@code git rev-parse --git-dir --git-common-dir --git-path index --show-toplevel}
     * says.
     * @param commonDir where objects shared by all work trees live (the parameter store is {@code <commonDir>/theta})
     * @param workTree  the top of the work tree (a bare repository: its directory)
     * @param indexFile the index Git reads and writes ({@code GIT_INDEX_FILE} when set)
     */
    public record Location(Path gitDir, Path commonDir, Path workTree, Path indexFile) {
        /** A repository whose index is the git directory's own (no {@code GIT_INDEX_FILE}). */
        public Location(Path gitDir, Path commonDir, Path workTree) {
            this(gitDir, commonDir, workTree, gitDir.resolve("index"));
        }
    }

    private final Location location;
    private final Settings settings;
    /**
     * Opened on first use (guarded by this): a filter process whose files are answered from the stat cache never
     * needs it, and JGit's start-up (its messages bundle, file-system probes, {@code git config --system}) was a
     * good part of such a process's life.
     */
    private JGitRepo git;

    private final ObjectStore store;
    private final ParamDecoder decoder;
    private final RemoteChoice remotes;
    private final PromisedBlobs promisedBlobs;
    private final Progress progress;
    private final StatCache statCache;
    private volatile boolean skipSmudge;
    /** Built on first use, so that a bad setting fails the operation that needs it, not the opening. */
    private ParamEncoder encoder;

    private MissingObjects missing;

    private ThetaRepository(
            Location location,
            Settings settings,
            RemoteChoice remotes,
            PromisedBlobs promisedBlobs,
            Progress progress) {
        this.location = location;
        this.settings = settings;
        this.promisedBlobs = promisedBlobs;
        this.store = ObjectStore.inGitDir(location.commonDir());
        this.decoder = new ParamDecoder(store);
        this.statCache = new StatCache(store);
        this.remotes = remotes;
        this.progress = progress;
    }

    /**
     * @param credentials   answers Git LFS servers that ask who we are
     * @param promisedBlobs fetches the manifests a partial clone left out, when a command reads them
     * @param progress      told about long work (clean, smudge, transfers); {@link Progress#NONE} to stay silent
     */
    public static ThetaRepository open(
            Location location,
            Settings settings,
            Credentials credentials,
            PromisedBlobs promisedBlobs,
            Progress progress)
            throws IOException {
        return new ThetaRepository(
                location,
                settings,
                new RemoteChoice(settings, location.workTree(), credentials, progress),
                promisedBlobs,
                progress);
    }

    /**
     * Where git's system-wide configuration file is (empty: git reads none), as {@code git config --show-origin}
     * named it. JGit reads that file too, and when not told, finds it by running {@code git --version} and
     * {@code git config --system} as it first opens a repository.
     */
    public static void useGitSystemConfig(Optional<Path> file) {
        JGitRepo.useSystemConfig(file);
    }

    /** A repository for reading only: no remote is ever asked for objects, nothing is reported. */
    public static ThetaRepository open(Location location) throws IOException {
        return open(location, Settings.NONE, Credentials.NONE, PromisedBlobs.NONE, Progress.NONE);
    }

    public Location location() {
        return location;
    }

    public Settings settings() {
        return settings;
    }

    /** Where parameter objects are kept on disk. */
    public Path objectsDir() {
        return store.objectsDir();
    }

    // ---- clean and smudge

    /**
     * Clean: the checkpoint Git streams in for {@code path} becomes the manifest written to {@code out}. A file that
     * cannot be split into parameters is stored whole (the result says why), or refused under
     * {@code theta.opaque=refuse}. A file of the work tree that has not changed since it was last cleaned or checked
     * out is answered from the stat cache.
     */
    public CleanResult clean(String path, InputStream content, OutputStream out) throws IOException {
        ParamEncoder encoder = encoder();
        Cleaner cleaner = new Cleaner(store, encoder, progress, settings.refusesOpaque());
        // asked for a storage (git theta add --update-type), the version is stored against the last commit's, as it
        // will be committed: the index may hold these very values already, staged by a plain add
        boolean chosen = settings.storageChosenForThisCommand();
        Cleaner.Previous previous = () -> {
            try {
                return chosen ? headManifest(path) : indexManifest(path);
            } catch (ManifestException e) {
                return Optional.empty(); // an unreadable old version only costs the reuse
            } catch (UnreadableIndexException e) {
                return headManifest(path); // a split or sparse index: git add works, reusing HEAD's values
            }
        };
        if (encoder.options().dependsOnFileAlone()) {
            Path file = location.workTree().resolve(path);
            StatCache.Clean full = (in, manifest) -> cleaner.clean(path, in, manifest, previous);
            // git theta add --update-type: the storage asked for, not the one an earlier clean of the file chose
            return chosen ? statCache.cleanAfresh(file, content, out, full) : statCache.clean(file, content, out, full);
        }
        Optional<UpdateData> data = encoder.options().updateData();
        if (data.isEmpty()) return cleaner.clean(path, content, out, previous);
        // the manifest is small: held back until every parameter the update data names is known to be in the file
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        CleanResult result = cleaner.clean(path, content, manifest, previous);
        data.get().checkPresent(path, Manifest.parse(manifest.toByteArray()));
        manifest.writeTo(out);
        return result;
    }

    /** How many cleans this repository answered from the stat cache, and how many it did in full. */
    public StatCache.Counts cleanCounts() {
        return statCache.counts();
    }

    /**
     * Smudge: the manifest Git streams in for {@code path} becomes the checkpoint written to {@code out}; with
     * {@link #skipSmudge()} the manifest goes out unchanged. The checkpoint is recorded in the stat cache under its
     * path, so that Git's re-clean of the file it writes (the racy-index check that follows a checkout or merge
     * written within the index's timestamp tick, or a touch) is answered from its content sums.
     */
    public void smudge(String path, InputStream content, OutputStream out) throws IOException {
        if (skipSmudge) {
            content.transferTo(out);
            return;
        }
        Optional<Smudger.Written> written = new Smudger(store, missingObjects(), progress).smudge(path, content, out);
        if (written.isPresent()) {
            statCache.recordWritten(
                    location.workTree().resolve(path),
                    written.get().sums(),
                    written.get().manifest());
        }
    }

    /**
     * From now on smudge leaves manifests as they are, so that Git never holds a checkpoint (a clone or switch of
     * many GiB); {@link #checkout} writes the files afterwards. What {@code GIT_THETA_SKIP_SMUDGE=1} asks for.
     */
    public void skipSmudge() {
        skipSmudge = true;
    }

    /**
     * Writes the checkpoints the index holds for {@code paths} into the work tree, not through Git: missing objects
     * are fetched first, each file is decoded chunk by chunk into a temporary file beside it and renamed into place.
     * Each written file's stat data is then put into its index entry ({@link IndexStat}), so that Git knows it
     * unchanged without reading it again, and the file is recorded in the stat cache under its path, so that a later
     * re-clean of the same content (touched, the index rebuilt) is answered from its content sums.
     * @return the paths whose index entries could not be refreshed here (the index changed meanwhile, a split index):
     *     for Git's own refresh, whose re-clean the stat cache then answers
     * @throws ManifestException if the index holds something other than a manifest for a path
     */
    public List<String> checkout(List<String> paths) throws IOException {
        return checkout(paths, Optional.empty());
    }

    /**
     * The same after the merge {@code mergeId} ({@link #merge}): a checkpoint whose values that merge wrote as it
     * computed them, for the very manifest the index holds, is completed around them instead of decoded whole.
     */
    public List<String> checkout(List<String> paths, Optional<String> mergeId) throws IOException {
        Smudger smudger = new Smudger(store, missingObjects(), progress);
        List<IndexStat.Written> written = new ArrayList<>();
        for (String path : paths) {
            ObjectId blob = git().indexBlob(path).orElseThrow(() -> new IOException(path + ": not in the index"));
            byte[] bytes = git().manifestBytesOfBlob(blob)
                    .orElseThrow(() -> new ManifestException(path
                            + ": the index holds no git-theta manifest for it (was it added before it was tracked?)"));
            Path file = write(smudger, path, bytes, mergeId);
            Optional<IndexStat.FileStat> indexStat = IndexStat.FileStat.of(file);
            if (indexStat.isPresent()) written.add(new IndexStat.Written(path, file, raw(blob), indexStat.get()));
        }
        Set<String> refreshed = IndexStat.record(location.indexFile(), git().objectFormat(), written);
        return paths.stream().filter(p -> !refreshed.contains(p)).toList();
    }

    /**
     * Puts into the index entries of these checkpoints the stat of their files, where the stat cache knows a file
     * unchanged since it was cleaned to, or written from, the manifest its entry names: what Git's refresh would do
     * after cleaning it again. Git re-cleans a file whose entry is racy (written in the second the index was, as a
     * checkout leaves it) or whose stat moved (a touch), piping the whole checkpoint to the filter; the Git command run
     * next (a merge) then does not. A file changed within the last second is left to Git: this never waits for the
     * racy second.
     * @return the paths whose index entries hold their file's stat
     */
    public Set<String> refreshIndex(List<String> paths) throws IOException {
        List<IndexStat.Written> unchanged = new ArrayList<>();
        long second = Math.floorDiv(System.currentTimeMillis(), 1000);
        for (String path : paths) {
            Path file = location.workTree().resolve(path);
            Optional<IndexStat.FileStat> stat = IndexStat.FileStat.of(file);
            if (stat.isEmpty() || Math.floorDiv(stat.get().mtimeNanos(), 1_000_000_000L) >= second) continue;
            Optional<ObjectId> blob = git().indexBlob(path);
            if (blob.isEmpty()) continue;
            Optional<byte[]> cleaned = statCache.recognised(file);
            if (cleaned.isEmpty()
                    || !Arrays.equals(
                            cleaned.get(), git().manifestBytesOfBlob(blob.get()).orElse(null))) {
                continue;
            }
            unchanged.add(new IndexStat.Written(path, file, raw(blob.get()), stat.get()));
        }
        return IndexStat.record(location.indexFile(), git().objectFormat(), unchanged);
    }

    private static byte[] raw(ObjectId id) {
        byte[] raw = new byte[Constants.OBJECT_ID_LENGTH];
        id.copyRawTo(raw, 0);
        return raw;
    }

    /**
     * Whether the work tree's {@code path} holds, as text, the manifest its stage-0 index entry names: what a skipped
     * smudge of the index's version leaves there.
     */
    public boolean holdsIndexManifest(String path) throws IOException {
        Optional<ObjectId> blob = git().indexBlob(path);
        if (blob.isEmpty()) return false;
        Optional<byte[]> indexed = git().manifestBytesOfBlob(blob.get());
        Path file = location.workTree().resolve(path);
        return indexed.isPresent()
                && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                && Files.size(file) == indexed.get().length
                && Arrays.equals(Files.readAllBytes(file), indexed.get());
    }

    /**
     * Writes the checkpoint of the manifest the work tree's {@code path} holds (as a skipped smudge left it) in its
     * place, as {@link #checkout} does but leaving the index alone: for an unmerged path, whose index entries are
     * the conflict's stages and whose file is the side git chose.
     * @throws ManifestException if the file holds no manifest
     */
    public void checkoutInPlace(String path) throws IOException {
        byte[] bytes = Files.readAllBytes(location.workTree().resolve(path));
        write(new Smudger(store, missingObjects(), progress), path, bytes, Optional.empty());
    }

    /**
     * Writes the manifest {@code bytes}' checkpoint into the work tree's {@code path}, from the values the merge
     * {@code mergeId} wrote for it if any, else decoded, and records the file in the stat cache.
     */
    private Path write(Smudger smudger, String path, byte[] bytes, Optional<String> mergeId) throws IOException {
        Path file = location.workTree().resolve(path);
        Optional<MergedFile.Prepared> prepared = mergeId.isEmpty()
                ? Optional.empty()
                : MergedFile.find(mergedValues(mergeId.get(), path), mergedReady(mergeId.get(), path), bytes);
        Manifest manifest = Manifest.parse(bytes);
        ContentSums sums = prepared.isPresent()
                ? smudger.checkoutPrepared(
                        path,
                        manifest,
                        file,
                        prepared.get().values(),
                        prepared.get().complete()
                                ? Optional.empty()
                                : Optional.of(prepared.get().offsets()))
                : smudger.checkout(path, manifest, file);
        statCache.recordWritten(file, sums, bytes);
        return file;
    }

    // ---- revisions and manifests

    /** The one revision resolver: the full id of the commit {@code rev} names, empty if it names none. */
    public Optional<String> resolveCommit(String rev) throws IOException {
        return git().commit(rev).map(ObjectId::name);
    }

    /** The commits (full ids) of every ref under the prefixes, e.g. {@code refs/heads/}; tags peeled. */
    public List<String> refTips(String... prefixes) throws IOException {
        return git().refTips(prefixes).stream().map(ObjectId::name).toList();
    }

    /**
     * Brings the blobs of {@code paths} at these versions that a partial clone left out into git's object database, in
     * one request, before a command reads them one by one (each would otherwise be fetched on its own). Only versions
     * at revisions are looked at; a blob git could not fetch is reported when it is read.
     */
    public void fetchBlobs(Collection<Version> versions, Collection<String> paths) throws IOException {
        List<ObjectId> blobs = new ArrayList<>();
        for (Version version : versions) {
            if (!(version instanceof Version.Rev)) continue;
            for (String path : paths) blob(version, path).ifPresent(blobs::add);
        }
        git().fetchMissing(blobs);
    }

    private Optional<Manifest> headManifest(String path) throws IOException {
        try {
            return resolveCommit("HEAD").isEmpty() ? Optional.empty() : manifest(new Version.Rev("HEAD"), path);
        } catch (ManifestException e) {
            return Optional.empty();
        }
    }

    /** The manifest staged for {@code path} (stage 0), if it is one. */
    public Optional<Manifest> indexManifest(String path) throws IOException {
        Optional<ObjectId> blob = git().indexBlob(path);
        return blob.isEmpty() ? Optional.empty() : git().manifestOfBlob(blob.get());
    }

    /** The id of the blob Git stores for {@code path} at a revision or in the index; empty elsewhere or if absent. */
    public Optional<String> blobId(Version version, String path) throws IOException {
        return blob(version, path).map(ObjectId::name);
    }

    private Optional<ObjectId> blob(Version version, String path) throws IOException {
        return switch (version) {
            case Version.Rev r -> {
                Optional<ObjectId> commit = git().commit(r.rev());
                yield commit.isEmpty() ? Optional.empty() : git().blobAt(commit.get(), path);
            }
            case Version.Index i -> git().indexBlob(path, i.stage());
            case Version.WorkTree w -> Optional.empty();
            case Version.None n -> Optional.empty();
        };
    }

    /**
     * Whether Git stores {@code path} at a revision or in the index as it is, not as a manifest: a file committed
     * before git-theta tracked it (the checkpoint itself, or a git-lfs pointer).
     */
    public boolean storedAsIs(Version version, String path) throws IOException {
        Optional<ObjectId> blob = blob(version, path);
        try {
            // an empty file is one git-theta tracks: its clean leaves it empty
            return blob.isPresent() && !git().startsLikeManifest(blob.get()) && !git().isEmpty(blob.get());
        } catch (MissingBlobException e) {
            throw e.of(path, version.toString());
        }
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
        Optional<Manifest> m;
        try {
            m = git().manifestOfBlob(blob.get());
        } catch (MissingBlobException e) {
            throw e.of(path, version.toString());
        }
        if (m.isEmpty() && git().isEmpty(blob.get())) {
            // an empty file's clean leaves it empty: a file stored whole, of no bytes
            return Optional.of(new Manifest(OpaqueFormat.INSTANCE.name(), new byte[0], 0, List.of()));
        }
        if (m.isEmpty()) {
            throw new ManifestException(
                    path + " in " + version + " is not a git-theta manifest (was it committed before it was tracked?)");
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
    public CheckpointDiff diff(Version before, Version after, String path, Predicate<String> params)
            throws IOException {
        return diff(before, path, after, path, params);
    }

    /** The same for a checkpoint that was at {@code beforePath} before (renamed to {@code path}). */
    public CheckpointDiff diff(Version before, String beforePath, Version after, String path, Predicate<String> params)
            throws IOException {
        Optional<Manifest> a = storedManifest(before, beforePath);
        Optional<Manifest> b = storedManifest(after, path);
        fetchChanged(
                beforePath,
                a.map(Manifest::params).orElse(List.of()),
                b.map(Manifest::params).orElse(List.of()));
        fetchChanged(
                path,
                b.map(Manifest::params).orElse(List.of()),
                a.map(Manifest::params).orElse(List.of()));
        try (Snapshot x = snapshot(before, beforePath, a, b);
                Snapshot y = snapshot(after, path, b, a)) {
            return CheckpointDiffer.diff(x, y, params, progress, "comparing " + path);
        }
    }

    // ---- sharded checkpoints

    /**
     * The shard index ({@code *.index.json}) at {@code path} in a version; empty when absent there.
     * @throws BadCheckpointException if it is not an index, or is stored as a manifest (the index must stay text)
     */
    public Optional<ShardIndex> shardIndex(Version version, String path) throws IOException {
        byte[] bytes;
        if (version instanceof Version.WorkTree) {
            Path file = location.workTree().resolve(path);
            if (!Files.isRegularFile(file)) return Optional.empty();
            bytes = Files.readAllBytes(file);
        } else {
            Optional<ObjectId> blob = blob(version, path);
            if (blob.isEmpty()) return Optional.empty();
            try {
                bytes = git().smallBlob(blob.get(), path);
            } catch (MissingBlobException e) {
                throw e.of(path, version.toString());
            }
        }
        if (Manifest.looksLike(bytes, bytes.length)) {
            throw new BadCheckpointException(
                    path,
                    "is stored as a git-theta manifest; the index must stay a text file"
                            + " (untrack it: 'git theta untrack <pattern>' and track only the shards' pattern)");
        }
        return Optional.of(ShardIndex.parse(path, bytes));
    }

    /**
     * A sharded checkpoint at a revision or in the index: every shard file its index names, by manifest.
     * @throws IOException if the index or a shard it names is absent there
     */
    public ShardedModel shardedModel(Version version, String indexPath) throws IOException {
        ShardIndex index =
                shardIndex(version, indexPath).orElseThrow(() -> new IOException(indexPath + ": not in " + version));
        SortedMap<String, Manifest> shards = new TreeMap<>();
        for (String shard : index.shards()) {
            String path = index.shardPath(shard);
            shards.put(
                    shard,
                    manifest(version, path)
                            .orElseThrow(
                                    () -> new IOException(indexPath + ": shard '" + shard + "' is not in " + version)));
        }
        return new ShardedModel(index, shards);
    }

    /**
     * Per-parameter differences of a sharded checkpoint between two versions, over all its shards: each side's
     * index says which files form the model, each parameter is reported with the shard that holds it. A parameter
     * that moved to another shard with the same values is unchanged ({@link org.gittheta.diff.ParamDiff#moved()}).
     */
    public CheckpointDiff shardedDiff(Version before, Version after, String indexPath, Predicate<String> params)
            throws IOException {
        Optional<ShardIndex> a = before instanceof Version.None ? Optional.empty() : shardIndex(before, indexPath);
        Optional<ShardIndex> b = after instanceof Version.None ? Optional.empty() : shardIndex(after, indexPath);
        if (a.isEmpty() && b.isEmpty()) throw new IOException(indexPath + ": not in " + before + " nor in " + after);
        SortedMap<String, Optional<Manifest>> stored = new TreeMap<>();
        SortedMap<String, Optional<Manifest>> storedAfter = new TreeMap<>();
        List<ParamEntry> x = storedShards(before, a, stored);
        List<ParamEntry> y = storedShards(after, b, storedAfter);
        fetchChanged(indexPath, x, y);
        fetchChanged(indexPath, y, x);
        try (Snapshot sx = modelSnapshot(before, indexPath, a, stored);
                Snapshot sy = modelSnapshot(after, indexPath, b, storedAfter)) {
            return CheckpointDiffer.diff(sx, sy, params, progress, "comparing " + indexPath);
        }
    }

    /** Reads each shard's manifest into {@code out} (by shard name); returns all their parameters. */
    private List<ParamEntry> storedShards(
            Version version, Optional<ShardIndex> index, SortedMap<String, Optional<Manifest>> out) throws IOException {
        List<ParamEntry> all = new ArrayList<>();
        if (index.isEmpty()) return all;
        for (String shard : index.get().shards()) {
            Optional<Manifest> m = storedManifest(version, index.get().shardPath(shard));
            out.put(shard, m);
            m.ifPresent(x -> all.addAll(x.params()));
        }
        return all;
    }

    private Snapshot modelSnapshot(
            Version version, String indexPath, Optional<ShardIndex> index, SortedMap<String, Optional<Manifest>> stored)
            throws IOException {
        SortedMap<String, Snapshot> shards = new TreeMap<>();
        try {
            for (var e : stored.entrySet()) {
                shards.put(
                        e.getKey(),
                        snapshot(version, index.orElseThrow().shardPath(e.getKey()), e.getValue(), Optional.empty()));
            }
            return new ModelSnapshot(indexPath, shards);
        } catch (IOException | RuntimeException e) {
            shards.values().forEach(Snapshot::close);
            throw e;
        }
    }

    /**
     * The manifest of a stored version; for the work tree, the manifest its file holds as text (a skipped smudge
     * leaves it, and git takes the file for that version), or the index's where git keeps the file out of the work
     * tree (a sparse checkout), else none: the file is read as a checkpoint.
     */
    private Optional<Manifest> storedManifest(Version version, String path) throws IOException {
        return version instanceof Version.WorkTree ? workTreeManifest(path) : manifest(version, path);
    }

    private Optional<Manifest> workTreeManifest(String path) throws IOException {
        if (git().skippedInWorkTree().contains(path)) return manifest(new Version.Index(), path);
        Path file = location.workTree().resolve(path);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > JGitRepo.MAX_MANIFEST_BYTES) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file)) {
            if (!Manifest.looksLike(in)) return Optional.empty();
        }
        try {
            return Optional.of(Manifest.parse(Files.readAllBytes(file)));
        } catch (ManifestException e) {
            return Optional.empty(); // text that only starts like a manifest: compared as the file it is
        }
    }

    /** Fetches the objects of parameters of {@code side} whose objects {@code other} does not share. */
    private void fetchChanged(String path, List<ParamEntry> side, List<ParamEntry> other) throws IOException {
        Map<String, ParamEntry> others = new HashMap<>();
        for (ParamEntry o : other) others.put(o.name(), o);
        // by name: two shards holding one name is reported by the diff itself, not here
        Map<String, ParamEntry> changed = new LinkedHashMap<>();
        for (ParamEntry p : side) {
            ParamEntry o = others.get(p.name());
            boolean missing = p.objects().stream().anyMatch(r -> !store.contains(r.id()));
            if (missing && (o == null || !o.objects().equals(p.objects()))) changed.putIfAbsent(p.name(), p);
        }
        if (changed.isEmpty()) return;
        // only the entries matter to the fetch: a manifest of them alone
        missingObjects().ensurePresent(path, new Manifest("values", new byte[0], 0, List.copyOf(changed.values())));
    }

    /**
     * The version's parameters: a stored one's, or a work-tree file's holding a manifest, by that manifest; a work-tree
     * file that the stat cache knows to be the file {@code other} describes as {@code other}'s (then nothing is read
     * or hashed); any other file by its content.
     */
    private Snapshot snapshot(Version version, String path, Optional<Manifest> stored, Optional<Manifest> other)
            throws IOException {
        if (version instanceof Version.WorkTree && stored.isEmpty()) {
            Path file = location.workTree().resolve(path);
            if (!Files.isRegularFile(file)) return StoredSnapshot.absent(store);
            if (other.isPresent() && knownAs(file, other.get())) return new StoredSnapshot(other.get(), store);
            return FileSnapshot.open(file, path);
        }
        return stored.isEmpty() ? StoredSnapshot.absent(store) : new StoredSnapshot(stored.get(), store);
    }

    /** Whether the stat cache knows the work-tree file as the file {@code manifest} describes. */
    private boolean knownAs(Path file, Manifest manifest) throws IOException {
        return statCache
                .recordedManifest(file)
                .filter(m -> m.sameFileAs(manifest))
                .isPresent();
    }

    // ---- merge

    /**
     * Three-way merge of one checkpoint's manifests with the configured strategy ({@code theta.merge.*}); objects
     * of the three versions are fetched first.
     * @param theirsRev the commit being merged in, if known (where {@code theta.merge.fisherAt} is read for theirs)
     * @param workDir   what relative Fisher file names are relative to
     * @param mergeId   the id of a merge whose checkout follows ({@link #checkout(List, Optional)}): the computed
     *     values are written for it as they are computed ({@link MergedFile})
     */
    public MergeResult merge(
            String path,
            MergeConfig config,
            Optional<Manifest> base,
            Manifest ours,
            Manifest theirs,
            Optional<String> theirsRev,
            Path workDir,
            Optional<String> mergeId)
            throws IOException {
        MissingObjects missing = missingObjects();
        missing.ensurePresent(path, ours);
        missing.ensurePresent(path, theirs);
        if (base.isPresent()) missing.ensurePresent(path, base.get());
        Optional<MergedFile> file = mergedFile(mergeId, path, ours);
        try (FisherLocator fishers =
                        new FisherLocator(path, config, history(), missing, decoder, workDir, location.commonDir());
                FisherSource fo = fishers.ours("HEAD");
                FisherSource ft = fishers.theirs(theirsRev)) {
            MergeResult result = new NWayMerge(
                            decoder, encoder(), config, List.of(fo, ft), MERGE_MEMORY_BUDGET, progress)
                    .merge(path, base, List.of(ours, theirs), List.of("ours", "theirs"), false, file);
            finish(file, path, result, missing);
            store.sync(); // its objects are on disk before the merged manifest goes to Git
            return result;
        } finally {
            if (file.isPresent()) file.get().close();
        }
    }

    /** Records the merged manifest's values file, completed around the computed values, for the checkout. */
    private void finish(Optional<MergedFile> file, String path, MergeResult result, MissingObjects missing) {
        if (file.isEmpty() || result.merged().isEmpty()) return;
        Manifest merged = result.merged().get();
        Smudger smudger = new Smudger(store, missing, Progress.NONE);
        file.get().finish(merged, (values, offsets) -> smudger.completePrepared(path, merged, values, offsets));
    }

    private Optional<MergedFile> mergedFile(Optional<String> mergeId, String path, Manifest ours) {
        return mergeId.flatMap(id -> MergedFile.start(
                mergedValues(id, path),
                mergedReady(id, path),
                location.workTree().resolve(path),
                path,
                ours));
    }

    /** Where a merge writes {@code path}'s computed values for the checkout that follows it. */
    private Path mergedValues(String mergeId, String path) {
        return store.tmpDir().resolve(mergedPrefix(mergeId) + pathKey(path) + ".values");
    }

    /** Where that merge records the manifest the values are for. */
    private Path mergedReady(String mergeId, String path) {
        return store.tmpDir().resolve(mergedPrefix(mergeId) + pathKey(path) + ".ready");
    }

    /** The names of the files the merge {@code mergeId} writes begin so. */
    private static String mergedPrefix(String mergeId) {
        if (!isMergeId(mergeId)) throw new IllegalArgumentException("bad merge id " + mergeId);
        return "merged-" + mergeId + "-";
    }

    /** A new id for {@link #merge}'s {@code mergeId}. */
    public static String newMergeId() {
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** Whether {@code text} is a {@link #newMergeId} (it names files, so nothing else is taken for one). */
    public static boolean isMergeId(String text) {
        return text.matches("[0-9a-f]{32}");
    }

    private static String pathKey(String path) {
        byte[] sha = ObjectStore.sha256().digest(path.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha, 0, 16);
    }

    /** Removes what a merge wrote for its checkout ({@link #merge}'s {@code mergeId}). */
    public void removeMergedFiles(String mergeId) throws IOException {
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(store.tmpDir(), mergedPrefix(mergeId) + "*")) {
            for (Path f : dir) Files.deleteIfExists(f);
        } catch (NoSuchFileException e) {
            // nothing was written
        }
    }

    /**
     * Merge of one checkpoint's versions at several commits at once (ours first), against their base; objects are
     * fetched first. Each model's Fisher is its file in {@code fisherFiles}, else {@code theta.merge.fisherAt} read
     * at its commit.
     * @param revs        the models' commits, ours first (also their names in the report)
     * @param fisherFiles one per model, empty where none was given
     * @param workDir     what relative Fisher file names are relative to
     * @param dryRun      measure instead of storing: the result has the report (with figures), no manifest
     * @param mergeId     as {@link #merge}'s
     */
    public MergeResult mergeMany(
            String path,
            ParamStrategies strategies,
            MergeConfig config,
            Optional<Manifest> base,
            List<Manifest> models,
            List<String> revs,
            List<Optional<String>> fisherFiles,
            Path workDir,
            boolean dryRun,
            Optional<String> mergeId)
            throws IOException {
        MissingObjects missing = missingObjects();
        for (Manifest m : models) missing.ensurePresent(path, m);
        if (base.isPresent()) missing.ensurePresent(path, base.get());
        List<FisherSource> sources = new ArrayList<>();
        Optional<MergedFile> file = mergedFile(dryRun ? Optional.empty() : mergeId, path, models.getFirst());
        try (FisherLocator fishers =
                new FisherLocator(path, config, history(), missing, decoder, workDir, location.commonDir())) {
            for (int i = 0; i < models.size(); i++)
                sources.add(fishers.locate(fisherFiles.get(i), Optional.of(revs.get(i))));
            MergeResult result = new NWayMerge(decoder, encoder(), strategies, sources, MERGE_MEMORY_BUDGET, progress)
                    .merge(path, base, models, revs, dryRun, file);
            finish(file, path, result, missing);
            store.sync();
            return result;
        } finally {
            for (FisherSource s : sources) s.close();
            if (file.isPresent()) file.get().close();
        }
    }

    // ---- objects and remotes

    /** The parameter objects checking out these commits needs (the manifests in their trees, not their history). */
    public Set<ObjectRef> objectsAt(Collection<String> commits) throws IOException {
        return ReferencedObjects.atCommits(git(), ids(commits));
    }

    /**
     * The objects of every manifest version that commits reachable from {@code tips} but not from {@code known}
     * introduce, plus those at the tips. Ids in {@code known} this repository does not have are ignored.
     */
    public Set<ObjectRef> objectsIntroducedBy(Collection<String> tips, Collection<String> known) throws IOException {
        return ReferencedObjects.introducedBy(git(), ids(tips), ids(known));
    }

    private static List<ObjectId> ids(Collection<String> commits) {
        return commits.stream().map(ObjectId::fromString).toList();
    }

    /**
     * The remote objects come from and go to unless one is named: {@code theta.remote}, else origin, else the only one.
     */
    public Optional<String> defaultRemote() {
        return settings.defaultRemote();
    }

    /** A remote by name, or a URL given in its place; empty if it has no URL and no LFS endpoint is configured. */
    public Optional<ObjectRemote> remote(String nameOrUrl) throws IOException {
        return remotes.remote(nameOrUrl);
    }

    /** Where {@code git push} to a remote (by name, or a URL given in its place) sends: its push URL if it has one. */
    public Optional<ObjectRemote> pushRemote(String nameOrUrl) throws IOException {
        return remotes.pushRemote(nameOrUrl);
    }

    /** A remote whose name and URL git has told (the pre-push hook). */
    public Optional<ObjectRemote> remote(String name, String url) throws IOException {
        return remotes.forUrl(name, Optional.of(url));
    }

    /** What {@link #fetch} moved and what the remote did not have. */
    public record Fetched(int objects, long bytes, List<ObjectRef> notThere) {}

    /** Downloads those of {@code wanted} that the store lacks. */
    public Fetched fetch(ObjectRemote remote, Set<ObjectRef> wanted) throws IOException {
        List<ObjectRef> missing =
                wanted.stream().filter(r -> !store.contains(r.id())).toList();
        remote.fetch(missing, store);
        List<ObjectRef> still =
                missing.stream().filter(r -> !store.contains(r.id())).toList();
        long bytes = missing.stream()
                .filter(r -> store.contains(r.id()))
                .mapToLong(ObjectRef::size)
                .sum();
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
        return new StoreCheck(store, decoder, progress)
                .run(StoreUses.all(git(), location.commonDir()), unreferencedToo);
    }

    /**
     * Removes the temporary files of interrupted writes (an add killed midway): those last modified before
     * {@code cutoff}, the start of the oldest process that may still be writing one. The cutoff is asked for only
     * when there are temporary files at all, so that this costs one directory listing when there are none.
     * Downloads to resume ({@code theta/incomplete}) are left to {@link #gc}.
     */
    public int removeStaleTempFiles(Supplier<Instant> cutoff) throws IOException {
        return store.removeStaleTemps(cutoff);
    }

    /** Removes objects nothing reachable uses; with a remote to verify, old ones it holds, and stale temp files. */
    public GcReport gc(GcOptions options) throws IOException {
        StoreUses reachable = StoreUses.all(git(), location.commonDir());
        StoreUses current =
                options.verifyRemote().isPresent() ? StoreUses.current(git(), location.commonDir()) : reachable;
        return new StoreGc(store, options).run(reachable, current);
    }

    /**
     * The checkpoints staged in the index, each with the index against HEAD and the work-tree file against the index,
     * compared without cleaning it: nothing is written to the store. Objects not stored here are looked up on the
     * default remote unless {@code offline}.
     */
    public TrackedCheckpoint.Listing status(boolean offline) throws IOException {
        CheckpointListing listing = new CheckpointListing(git(), store);
        List<CheckpointListing.Found> found = listing.index(new WorkTreeCompare(location.workTree(), statCache));
        return listing.describe(found, remoteView(offline));
    }

    /** The checkpoints in the tree of {@code rev}, each against the same path in its first parent. */
    public TrackedCheckpoint.Listing listFiles(String rev, boolean offline) throws IOException {
        ObjectId commit = git().commit(rev).orElseThrow(() -> new IOException("unknown revision '" + rev + "'"));
        CheckpointListing listing = new CheckpointListing(git(), store);
        return listing.describe(listing.commit(commit), remoteView(offline));
    }

    /**
     * Every distinct version of every checkpoint in the history of all refs and HEAD, once, at the oldest commit that
     * introduced it, against that commit's first parent; oldest first.
     */
    public TrackedCheckpoint.Listing listAllFiles(boolean offline) throws IOException {
        List<ObjectId> tips = new ArrayList<>(git().refTips(Constants.R_REFS));
        git().commit(Constants.HEAD).filter(h -> !tips.contains(h)).ifPresent(tips::add);
        CheckpointListing listing = new CheckpointListing(git(), store);
        return listing.describe(listing.history(tips), remoteView(offline));
    }

    private CheckpointListing.RemoteView remoteView(boolean offline) throws IOException {
        Optional<String> name = settings.defaultRemote();
        if (name.isEmpty()) return new CheckpointListing.RemoteView.None();
        if (offline) return new CheckpointListing.RemoteView.Offline(name.get());
        Optional<ObjectRemote> remote = remotes.remote(name.get());
        return remote.isEmpty()
                ? new CheckpointListing.RemoteView.None()
                : new CheckpointListing.RemoteView.Ask(name.get(), remote.get());
    }

    /**
     * Stores directly (dense) every parameter of the staged checkpoints whose delta chain is at least {@code minDepth}
     * deep, and stages the result: the same file, whose next commit needs none of the old bases. History is not
     * rewritten. Missing objects are fetched first.
     * @param rev   squash this revision's version instead, which must be the same file as the staged one
     * @param paths the checkpoints; empty: every checkpoint staged
     */
    public SquashReport squash(Optional<String> rev, List<String> paths, int minDepth) throws IOException {
        if (minDepth < 1) throw new IllegalArgumentException("minimum chain depth " + minDepth + " is not positive");
        if (rev.isPresent() && git().commit(rev.get()).isEmpty()) {
            throw new IOException("unknown revision '" + rev.get() + "'");
        }
        List<String> targets = new ArrayList<>(paths);
        if (targets.isEmpty()) {
            for (JGitRepo.PathBlob e : git().indexEntries()) {
                if (git().manifestBytesOfBlob(e.blob()).isPresent()) targets.add(e.path());
            }
        }
        Squasher squasher = new Squasher(git(), encoder(), missingObjects(), statCache, location.workTree(), progress);
        List<SquashReport.File> files = new ArrayList<>();
        for (String path : targets) {
            Manifest staged = indexManifest(path)
                    .orElseThrow(() -> new IOException(path + ": the index holds no git-theta manifest for it"));
            Manifest source = staged;
            if (rev.isPresent()) {
                source = manifest(new Version.Rev(rev.get()), path)
                        .orElseThrow(() -> new IOException(path + ": not in " + rev.get()));
                if (!source.sameFileAs(staged)) {
                    throw new IOException(path + ": the index holds another version than " + rev.get()
                            + "; squash stages only the same file (commit or unstage it first)");
                }
            }
            files.add(squasher.squash(path, staged, source, minDepth));
        }
        return new SquashReport(files);
    }

    private synchronized MissingObjects missingObjects() throws IOException {
        if (missing == null) {
            Optional<String> name = settings.defaultRemote();
            Optional<ObjectSource> source = name.isEmpty()
                    ? Optional.empty()
                    : remotes.remote(name.get()).map(r -> r);
            missing = new MissingObjects(store, source);
        }
        return missing;
    }

    private synchronized ParamEncoder encoder() throws IOException {
        if (encoder == null) encoder = new ParamEncoder(store, settings.codec(), settings.updateOptions());
        return encoder;
    }

    @Override
    public synchronized void close() {
        if (git != null) git.close();
    }

    /** History for a merge's Fisher lookups: JGit is opened only if one is made (most merges use no Fisher). */
    private CommittedFiles history() {
        return new CommittedFiles() {
            @Override
            public Optional<Manifest> manifest(String rev, String path) throws IOException {
                return git().manifest(rev, path);
            }

            @Override
            public boolean copy(String rev, String path, Path target) throws IOException {
                return git().copy(rev, path, target);
            }
        };
    }

    private synchronized JGitRepo git() throws IOException {
        if (git == null) git = JGitRepo.open(location.gitDir(), location.indexFile(), promisedBlobs);
        return git;
    }
}
