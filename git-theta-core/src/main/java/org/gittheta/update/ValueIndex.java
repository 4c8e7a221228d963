package org.gittheta.update;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.AtomicFile;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * Dedup by value: which stored form already holds given values (sha256 of the raw values, dtype, shape), whatever
 * parameter, file or format they came from. A parameter that moved to another shard, a file converted to another
 * format, a revert or a cherry-pick then reuse the stored objects instead of encoding the values again.
 *
 * <p>One small file per value, {@code .git/theta/values/<ab>/<key>}, {@code key} = SHA-256 of
 * {@code "<sha256> <dtype> <shape>"}, holding a one-parameter manifest (format {@code values}: versioned and
 * validated completely when read). It is a cache of what this store already holds: an entry that does not parse,
 * names other values, or whose objects are not all present is ignored, and replaced by the next store.
 *
 * <p>Every entry was established by hashing the values themselves, when this store encoded them or when a checkout
 * decoded and checked them; a manifest's word alone is never recorded. A checkout therefore trusts an entry instead
 * of hashing the values again ({@link #holds}).
 */
final class ValueIndex {
    private static final String FORMAT = "values";
    /**
     * Values smaller than this are not indexed: their entry file would cost more than encoding them again, which for
     * the dense form gives the very same object (checkpoints of many tiny tensors add one file per tensor less).
     */
    private static final long MIN_BYTES = 1024;

    private final ObjectStore store;
    private final Path dir;

    ValueIndex(ObjectStore store) {
        this.store = store;
        this.dir = store.valuesDir();
    }

    static boolean worthIndexing(long valueBytes) {
        return valueBytes >= MIN_BYTES;
    }

    /** A stored form of exactly these values whose objects are all in the store. */
    Optional<ParamEntry> find(String sha256, DType dtype, Shape shape) throws IOException {
        byte[] text;
        try {
            text = Files.readAllBytes(pathOf(sha256, dtype, shape));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            Manifest m = Manifest.parse(text);
            if (!m.format().equals(FORMAT) || m.params().size() != 1) return Optional.empty();
            ParamEntry e = m.params().getFirst();
            boolean same =
                    e.sha256().equals(sha256) && e.dtype() == dtype && e.shape().equals(shape);
            // the size too: an entry survives a power failure that its objects' unsynced bytes may not
            boolean present = e.objects().stream().allMatch(this::hasSize);
            return same && present ? Optional.of(e) : Optional.empty();
        } catch (ManifestException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code entry}'s objects are known to hold the values its sha256 names: the index has this very stored
     * form (kind and objects) for them. An index that cannot be read (a store this user may not read) vouches for
     * nothing.
     */
    boolean holds(ParamEntry entry) {
        try {
            return find(entry.sha256(), entry.dtype(), entry.shape())
                    .filter(e ->
                            e.update().equals(entry.update()) && e.objects().equals(entry.objects()))
                    .isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    /** Remembers how {@code entry}'s values are stored, unless these values are remembered already. */
    void record(ParamEntry entry) throws IOException {
        Path file = pathOf(entry.sha256(), entry.dtype(), entry.shape());
        if (Files.exists(file)
                && find(entry.sha256(), entry.dtype(), entry.shape()).isPresent()) return;
        ParamEntry keyed = new ParamEntry(
                "v", entry.dtype(), entry.shape(), entry.sha256(), entry.update(), entry.objects(), entry.attributes());
        AtomicFile.replaceCacheEntry(
                file, new Manifest(FORMAT, new byte[0], entry.byteSize(), List.of(keyed)).toBytes());
    }

    private boolean hasSize(ObjectRef ref) {
        try {
            return store.contains(ref.id()) && store.size(ref.id()) == ref.size();
        } catch (IOException e) {
            return false;
        }
    }

    private Path pathOf(String sha256, DType dtype, Shape shape) {
        byte[] key = ObjectStore.sha256().digest((sha256 + " " + dtype + " " + shape).getBytes(StandardCharsets.UTF_8));
        String hex = HexFormat.of().formatHex(key);
        return dir.resolve(hex.substring(0, 2)).resolve(hex);
    }
}
