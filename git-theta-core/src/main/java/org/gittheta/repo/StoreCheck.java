package org.gittheta.repo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.progress.Progress;
import org.gittheta.repo.FsckReport.Kind;
import org.gittheta.repo.FsckReport.Problem;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;
import org.gittheta.store.Ordered;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ValuesReader;

/**
 * {@code fsck}: every object something reachable uses exists, hashes to its name, has a valid container, and every
 * parameter version rebuilds from its chain to the values the manifest's sha256 names. Objects whose bytes do not
 * hash to their name are moved aside, so that a fetch can bring an intact copy.
 */
final class StoreCheck {
    private final ObjectStore store;
    private final ParamDecoder decoder;
    private final Progress progress;
    private final List<Problem> problems = new ArrayList<>();
    private final Set<ObjectId> broken = new HashSet<>();
    private int checked;

    /** @param progress told the bytes of the objects checked, then of the parameter versions rebuilt */
    StoreCheck(ObjectStore store, ParamDecoder decoder, Progress progress) {
        this.store = store;
        this.decoder = decoder;
        this.progress = progress;
    }

    FsckReport run(StoreUses uses, boolean unreferencedToo) throws IOException {
        for (StoreUses.BadManifest m : uses.badManifests()) {
            problems.add(new Problem(
                    Kind.BAD_MANIFEST,
                    Optional.empty(),
                    Optional.of(new ObjectUse(m.where(), m.path(), "")),
                    m.message(),
                    Optional.empty()));
        }
        Map<ObjectId, ObjectUse> referenced = uses.objects();
        Map<ObjectId, Optional<ObjectUse>> objects = new LinkedHashMap<>();
        referenced.forEach((id, use) -> objects.put(id, Optional.of(use)));
        if (unreferencedToo) {
            for (ObjectId id : StoreUses.storedObjects(store)) objects.putIfAbsent(id, Optional.empty());
        }
        Map<ObjectId, Long> sizes = new HashMap<>();
        for (ObjectId id : objects.keySet()) sizes.put(id, store.contains(id) ? store.size(id) : 0);
        long objectBytes = sizes.values().stream().mapToLong(Long::longValue).sum();
        try (Progress.Task task = progress.start("checking objects", objectBytes, objects.size())) {
            for (Map.Entry<ObjectId, Optional<ObjectUse>> e : objects.entrySet()) {
                checkObject(e.getKey(), e.getValue());
                task.advance(sizes.get(e.getKey()));
                task.itemDone();
            }
        }
        // the versions of a parameter share their chains' objects (keyframe, deltas): decoded together, each object
        // once; different parameters in parallel
        Map<ObjectId, List<StoreUses.ParamUse>> byKeyframe = new LinkedHashMap<>();
        for (StoreUses.ParamUse p : uses.params()) {
            if (p.entry().objects().stream().map(ObjectRef::id).anyMatch(broken::contains)) continue;
            byKeyframe
                    .computeIfAbsent(p.entry().objects().getLast().id(), k -> new ArrayList<>())
                    .add(p);
        }
        List<List<StoreUses.ParamUse>> groups = List.copyOf(byKeyframe.values());
        long[] bytes = groups.stream()
                .mapToLong(g -> g.stream().mapToLong(p -> p.entry().byteSize()).sum())
                .toArray();
        try (Progress.Task task =
                progress.start("rebuilding parameters", LongStream.of(bytes).sum())) {
            Ordered.run(
                    groups.size(),
                    i -> {
                        List<Problem> found = decodeTogether(groups.get(i));
                        task.advance(bytes[i]);
                        return found;
                    },
                    problems::addAll);
        }
        int decoded = groups.stream().mapToInt(List::size).sum();
        return new FsckReport(checked, decoded, problems);
    }

    private void checkObject(ObjectId id, Optional<ObjectUse> use) throws IOException {
        if (!store.contains(id)) {
            report(Kind.MISSING, id, use, "not in " + store.objectsDir(), Optional.empty());
            return;
        }
        checked++;
        try {
            store.verify(id);
        } catch (CorruptObjectException e) {
            String moved = store.moveAside(id).toString();
            report(Kind.CORRUPT, id, use, e.getMessage() + "; moved to " + moved, Optional.of(moved));
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            ObjectFormat.Reader.open(store, id, arena);
        } catch (CorruptObjectException e) {
            report(Kind.BAD_CONTAINER, id, use, e.getMessage(), Optional.empty());
        }
    }

    /**
     * Rebuilds versions of one parameter together; if that fails, each on its own, so that every problem names its
     * version.
     */
    private List<Problem> decodeTogether(List<StoreUses.ParamUse> versions) {
        List<Problem> found = new ArrayList<>();
        if (versions.size() > 1) {
            List<MessageDigest> shas = new ArrayList<>();
            for (int i = 0; i < versions.size(); i++) shas.add(ObjectStore.sha256());
            try {
                decoder.decodeTogether(
                        versions.stream().map(StoreUses.ParamUse::entry).toList(),
                        1,
                        (i, chunk) -> shas.get(i).update(chunk));
                for (int i = 0; i < versions.size(); i++)
                    hashMismatch(versions.get(i), shas.get(i)).ifPresent(found::add);
                return found;
            } catch (IOException | RuntimeException e) {
                // found again below, version by version
            }
        }
        for (StoreUses.ParamUse p : versions) decode(p).ifPresent(found::add);
        return found;
    }

    /** Rebuilds the values through the chain (each chunk's checksum and the values' checksum are checked). */
    private Optional<Problem> decode(StoreUses.ParamUse p) {
        MessageDigest sha = ObjectStore.sha256();
        try (ValuesReader values = decoder.open(p.entry())) {
            for (byte[] chunk = values.nextChunk(); chunk != null; chunk = values.nextChunk()) sha.update(chunk);
        } catch (IOException | RuntimeException e) {
            return Optional.of(undecodable(p, String.valueOf(e.getMessage())));
        }
        return hashMismatch(p, sha);
    }

    private static Optional<Problem> hashMismatch(StoreUses.ParamUse p, MessageDigest sha) {
        String actual = HexFormat.of().formatHex(sha.digest());
        if (actual.equals(p.entry().sha256())) return Optional.empty();
        return Optional.of(undecodable(
                p,
                "its values hash to " + actual + ", the manifest says sha256="
                        + p.entry().sha256()));
    }

    private static Problem undecodable(StoreUses.ParamUse p, String detail) {
        return new Problem(
                Kind.UNDECODABLE,
                Optional.of(p.entry().object().id().hex()),
                Optional.of(p.use()),
                detail,
                Optional.empty());
    }

    private void report(Kind kind, ObjectId id, Optional<ObjectUse> use, String detail, Optional<String> movedTo) {
        broken.add(id);
        problems.add(new Problem(kind, Optional.of(id.hex()), use, detail, movedTo));
    }
}
