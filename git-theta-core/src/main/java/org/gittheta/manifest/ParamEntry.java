package org.gittheta.manifest;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * One parameter of a checkpoint version.
 *
 * @param sha256     hex SHA-256 of the parameter's raw values: equal hashes mean equal values
 * @param update     how it is stored: {@code dense}, {@code xor-delta}, ...
 * @param objects    every object needed to rebuild the values: its own first, then what it is a delta
 *                   against, so that transfers know the whole chain without reading objects
 * @param attributes further facts of the stored form, e.g. {@code lossy=svd}; sorted for stable text
 */
public record ParamEntry(
        String name,
        DType dtype,
        Shape shape,
        String sha256,
        String update,
        List<ObjectRef> objects,
        SortedMap<String, String> attributes) {
    /** The attribute that marks values stored lossily, as the user asked by name ({@code lossy=svd-r8}). */
    public static final String LOSSY = "lossy";

    public ParamEntry {
        objects = List.copyOf(objects);
        attributes = new TreeMap<>(attributes);
        if (objects.isEmpty()) throw new IllegalArgumentException("parameter '" + name + "' has no objects");
    }

    public ParamEntry(String name, DType dtype, Shape shape, String sha256, String update, List<ObjectRef> objects) {
        this(name, dtype, shape, sha256, update, objects, new TreeMap<>());
    }

    /** Bytes of the raw values. */
    public long byteSize() {
        return dtype.byteSize(shape.numel());
    }

    /** The object that holds this version's own data. */
    public ObjectRef object() {
        return objects.getFirst();
    }

    /** Whether the stored values are a lossy approximation of what was added (asked for by name). */
    public boolean lossy() {
        return attributes.containsKey(LOSSY);
    }

    /** How many objects this version's values are a delta on top of: 0 when stored directly. */
    public int chainDepth() {
        return objects.size() - 1;
    }

    /** Bytes this version added to the store (its own object; the chain is shared with earlier versions). */
    public long storedBytes() {
        return object().size();
    }

    /** Same values, same type and shape: the parameter did not change. */
    public boolean sameValues(ParamEntry other) {
        return sha256.equals(other.sha256) && dtype == other.dtype && shape.equals(other.shape);
    }
}
