package org.gittheta.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.repo.GcReport.Reason;
import org.gittheta.repo.GcReport.Removed;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * {@code gc}: removes objects nothing reachable uses, and stale temporary files, never anything younger than the
 * cutoff. An add running meanwhile writes its objects after the walk, so they are younger than the cutoff; an add
 * that finds its object already stored freshens its time ({@link ObjectStore#write}) for the same reason.
 */
final class StoreGc {
    private final ObjectStore store;
    private final GcOptions options;
    private final List<Removed> objects = new ArrayList<>();
    private final List<Removed> temps = new ArrayList<>();
    private int keptYoung;

    StoreGc(ObjectStore store, GcOptions options) {
        this.store = store;
        this.options = options;
    }

    /**
     * @param reachable what anything reachable uses; it must have no unreadable manifest
     * @param current   what the checked-out and branch-tip versions use; needed only with a remote to verify
     */
    GcReport run(StoreUses reachable, StoreUses current) throws IOException {
        if (!reachable.badManifests().isEmpty()) {
            StoreUses.BadManifest m = reachable.badManifests().getFirst();
            throw new IOException("gc: cannot read the manifest of " + m.path() + " in " + m.where() + " ("
                    + m.message() + "): what it uses is unknown, so nothing was removed");
        }
        Map<ObjectId, ObjectUse> used = reachable.objects();
        List<ObjectRef> oldOnly = new ArrayList<>();
        for (ObjectId id : StoreUses.storedObjects(store)) {
            Path file = store.pathOf(id);
            if (!olderThan(file, options.objectCutoff())) {
                if (!used.containsKey(id)) keptYoung++;
                continue;
            }
            if (!used.containsKey(id)) {
                remove(file, id.hex(), Reason.UNREACHABLE, objects);
            } else if (options.verifyRemote().isPresent() && !current.objects().containsKey(id)) {
                oldOnly.add(new ObjectRef(id, Files.size(file)));
            }
        }
        if (!oldOnly.isEmpty()) {
            Set<ObjectId> held = options.verifyRemote().orElseThrow().holding(oldOnly);
            for (ObjectRef r : oldOnly) {
                if (held.contains(r.id())) remove(store.pathOf(r.id()), r.id().hex(), Reason.ON_REMOTE, objects);
            }
        }
        for (Path dir : List.of(store.tmpDir(), store.storeDir().resolve("incomplete"))) removeStaleTemps(dir);
        return new GcReport(options.dryRun(), objects, temps, keptYoung);
    }

    private void removeStaleTemps(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            if (olderThan(f, options.tempCutoff())) remove(f, f.getFileName().toString(), Reason.STALE_TEMP, temps);
        }
    }

    private static boolean olderThan(Path file, Instant cutoff) throws IOException {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(cutoff);
        } catch (NoSuchFileException e) {
            return false; // removed meanwhile: nothing to do
        }
    }

    private void remove(Path file, String name, Reason reason, List<Removed> into) throws IOException {
        long size;
        try {
            size = Files.size(file);
            if (!options.dryRun()) Files.delete(file);
        } catch (NoSuchFileException e) {
            return; // another gc took it
        }
        into.add(new Removed(name, size, reason));
    }
}
