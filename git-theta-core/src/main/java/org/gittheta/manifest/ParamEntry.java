package org.gittheta.manifest;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One parameter of a checkpoint version.
 *
 * @param sha256     hex SHA-256 of the parameter's raw values: equal hashes mean equal values
 * @param update     how it is stored: {@code dense}, {@code xor-delta}, ..., or {@link #INLINE}
 * @param objects    every object needed to rebuild the values: its own first, then what it is a delta
 *                   against, so that transfers know the whole chain without reading objects; none when inline
 * @param attributes further facts of the stored form, e.g. {@code lossy=svd}; sorted for stable text
 * @param inline     the values themselves, when they are small enough to live in the manifest line
 */
public record ParamEntry(
        String name,
        DType dtype,
        Shape shape,
        String sha256,
        String update,
        List<ObjectRef> objects,
        SortedMap<String, String> attributes,
        Optional<InlineValues> inline) {
    /** The attribute that marks values stored lossily, as the user asked by name ({@code lossy=svd-r8}). */
    public static final String LOSSY = "lossy";
    /** The update kind of values kept in the manifest line itself. */
    public static final String INLINE = "inline";

    public ParamEntry {
        objects = List.copyOf(objects);
        // most entries have none: one shared empty map instead of a TreeMap each (200,000 tiny tensors: ~10 MB)
        attributes = attributes.isEmpty() ? Collections.emptySortedMap() : new TreeMap<>(attributes);
        if (inline.isPresent()) {
            if (!objects.isEmpty() || !update.equals(INLINE)) {
                throw new IllegalArgumentException("parameter '" + name + "': inline values have no objects");
            }
            if (inline.get().length() != dtype.byteSize(shape.numel())) {
                throw new IllegalArgumentException("parameter '" + name + "': "
                        + inline.get().length() + " inline bytes for " + dtype + " " + shape);
            }
        } else if (objects.isEmpty()) {
            throw new IllegalArgumentException("parameter '" + name + "' has no objects");
        }
    }

    public ParamEntry(
            String name,
            DType dtype,
            Shape shape,
            String sha256,
            String update,
            List<ObjectRef> objects,
            SortedMap<String, String> attributes) {
        this(name, dtype, shape, sha256, update, objects, attributes, Optional.empty());
    }

    public ParamEntry(String name, DType dtype, Shape shape, String sha256, String update, List<ObjectRef> objects) {
        this(name, dtype, shape, sha256, update, objects, new TreeMap<>());
    }

    /** Values kept in the manifest line: no object, no attributes. */
    public static ParamEntry inline(String name, DType dtype, Shape shape, String sha256, InlineValues values) {
        return new ParamEntry(name, dtype, shape, sha256, INLINE, List.of(), new TreeMap<>(), Optional.of(values));
    }

    public boolean isInline() {
        return inline.isPresent();
    }

    /** Bytes of the raw values. */
    public long byteSize() {
        return dtype.byteSize(shape.numel());
    }

    /** The object that holds this version's own data; inline values have none. */
    public ObjectRef object() {
        if (isInline()) throw new IllegalStateException("parameter '" + name + "' is stored inline, in no object");
        return objects.getFirst();
    }

    /** Whether the stored values are a lossy approximation of what was added (asked for by name). */
    public boolean lossy() {
        return attributes.containsKey(LOSSY);
    }

    /** How many objects this version's values are a delta on top of: 0 when stored directly or inline. */
    public int chainDepth() {
        return Math.max(0, objects.size() - 1);
    }

    /**
     * Bytes this version added: its own object (the chain is shared with earlier versions), or the inline values,
     * which the manifest holds.
     */
    public long storedBytes() {
        return inline.map(v -> (long) v.length()).orElseGet(() -> object().size());
    }

    /** Same values, same type and shape: the parameter did not change. */
    public boolean sameValues(ParamEntry other) {
        return sha256.equals(other.sha256) && dtype == other.dtype && shape.equals(other.shape);
    }
}
