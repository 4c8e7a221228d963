package org.gittheta.update;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.format.TorchTensor;
import org.gittheta.format.TorchZipFormat;
import org.gittheta.manifest.Manifest;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;

/**
 * Side-loaded update data in git-theta (Python)'s layout, from a safetensors or PyTorch zip file, keyed by
 * {@code <param>/<key>}: {@code R} and {@code C} for low-rank (new = old + R @ C), scipy CSR {@code data},
 * {@code indices}, {@code indptr}, {@code shape} for sparse (new = old + the matrix), {@code ia3} (new = old × ia3,
 * broadcast as numpy does), and a whole tensor {@code <param>} for dense (new = that tensor). The file stays mapped
 * while the data is in use; tensors are read where they lie.
 */
public final class UpdateData {
    private static final Map<UpdateKind, List<String>> KEYS = Map.of(
            UpdateKind.LOW_RANK, List.of("R", "C"),
            UpdateKind.SPARSE, List.of("data", "indices", "indptr", "shape"),
            UpdateKind.IA3, List.of("ia3"),
            UpdateKind.DENSE, List.of());

    private final String file;
    private final UpdateKind kind;
    private final Map<String, Map<String, UpdateTensor>> byParam;

    private UpdateData(String file, UpdateKind kind, Map<String, Map<String, UpdateTensor>> byParam) {
        this.file = file;
        this.kind = kind;
        this.byParam = byParam;
    }

    /** The update types that take update data. */
    public static Set<UpdateKind> kinds() {
        return KEYS.keySet();
    }

    /** Reads the tensors of {@code path} and groups them by parameter as {@code kind}'s layout names them. */
    public static UpdateData load(Path path, UpdateKind kind) throws IOException {
        String file = path.toString();
        List<String> keys = KEYS.get(kind);
        if (keys == null) throw new IllegalArgumentException("update data is for " + kinds() + ", not " + kind.label());
        MemorySegment content;
        try (FileChannel ch = FileChannel.open(path)) {
            content = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        }
        Map<String, Map<String, UpdateTensor>> byParam = new TreeMap<>();
        for (UpdateTensor t : tensors(file, content)) {
            int slash = t.name().lastIndexOf('/');
            String key = slash < 0 ? "" : t.name().substring(slash + 1);
            if (kind == UpdateKind.DENSE) {
                byParam.put(t.name(), Map.of("", t));
            } else if (slash > 0 && keys.contains(key)) {
                byParam.computeIfAbsent(t.name().substring(0, slash), p -> new HashMap<>())
                        .put(key, t);
            } else {
                throw new BadCheckpointException(
                        file,
                        t.name(),
                        "is not a " + kind.label() + " update key (<param>/" + String.join(", <param>/", keys) + ")");
            }
        }
        for (var e : byParam.entrySet()) {
            for (String key : keys) {
                if (!e.getValue().containsKey(key)) {
                    throw new BadCheckpointException(
                            file,
                            e.getKey() + "/" + key,
                            "is missing: a " + kind.label() + " update needs <param>/"
                                    + String.join(", <param>/", keys));
                }
            }
        }
        return new UpdateData(file, kind, byParam);
    }

    private static List<UpdateTensor> tensors(String file, MemorySegment content) throws BadCheckpointException {
        MemorySegment head = content.asSlice(0, Math.min(content.byteSize(), Formats.DETECT_BYTES));
        Optional<CheckpointFormat> format = Formats.detect(head);
        if (format.isEmpty()) {
            throw new BadCheckpointException(
                    file, "update data must be a safetensors or PyTorch zip (torch.save) file");
        }
        CheckpointLayout layout = format.get().read(file, content);
        Map<String, TensorSlot> slots = new HashMap<>();
        for (TensorSlot s : layout.tensors()) slots.put(s.name(), s);
        if (format.get() != TorchZipFormat.INSTANCE) {
            return layout.tensors().stream()
                    .map(s -> UpdateTensor.contiguous(
                            s.name(), s.dtype(), s.shape(), content.asSlice(s.offset(), s.length())))
                    .toList();
        }
        List<TorchTensor> views = TorchZipFormat.INSTANCE.tensors(file, layout.skeleton());
        return views.stream()
                .map(v -> {
                    TensorSlot s = slots.get(v.slot());
                    long[] strides =
                            v.stride().stream().mapToLong(Long::longValue).toArray();
                    return new UpdateTensor(
                            v.name(),
                            v.dtype(),
                            v.shape(),
                            content.asSlice(s.offset(), s.length()),
                            v.storageOffset(),
                            strides);
                })
                .toList();
    }

    public UpdateKind kind() {
        return kind;
    }

    public String file() {
        return file;
    }

    /** The parameters the data updates. */
    public Set<String> params() {
        return byParam.keySet();
    }

    /**
     * Fails naming every parameter the data updates that {@code checkpoint} does not have, and for a torch.save file the
     * parameter holding the storage of those that are views of another's (tied weights such as {@code lm_head.weight}).
     *
     * @param manifest the checkpoint's manifest
     */
    public void checkPresent(String checkpoint, Manifest manifest) throws BadCheckpointException {
        Set<String> absent = new TreeSet<>(byParam.keySet());
        absent.removeAll(manifest.byName().keySet());
        if (!absent.isEmpty()) {
            throw new BadCheckpointException(
                    checkpoint,
                    "update data " + file + " names parameter" + (absent.size() == 1 ? " " : "s ")
                            + String.join(", ", absent) + ", which the file does not have"
                            + views(checkpoint, manifest, absent));
        }
    }

    /** Which parameter holds the storage of those of the names that are views in a torch.save file. */
    private static String views(String checkpoint, Manifest manifest, Set<String> names) throws BadCheckpointException {
        if (!manifest.format().equals(TorchZipFormat.INSTANCE.name())) return "";
        List<String> views = new ArrayList<>();
        for (TorchTensor t : TorchZipFormat.INSTANCE.tensors(checkpoint, manifest.skeleton())) {
            if (names.contains(t.name())) views.add(t.name() + " views the storage of parameter " + t.slot());
        }
        return views.isEmpty() ? "" : " (" + String.join(", ", views) + ")";
    }

    /** The update of parameter {@code name}, checked against its dtype and shape; empty if there is none. */
    Optional<GivenUpdate> update(String name, DType dtype, Shape shape) throws BadCheckpointException {
        Map<String, UpdateTensor> t = byParam.get(name);
        if (t == null) return Optional.empty();
        if (!TensorView.writable(dtype)
                && !(kind == UpdateKind.DENSE && t.get("").dtype() == dtype)) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "a " + kind.label() + " update applies to F64, F32, F16 and BF16 " + "parameters, not " + dtype);
        }
        for (UpdateTensor u : t.values()) {
            if (!TensorView.readable(u.dtype())) {
                throw new BadCheckpointException(file, u.name(), u.dtype() + " has no numeric values");
            }
        }
        return Optional.of(
                switch (kind) {
                    case LOW_RANK -> lowRank(name, t.get("R"), t.get("C"), shape);
                    case SPARSE -> sparse(name, t, shape);
                    case IA3 -> new GivenUpdate.Ia3(t.get("ia3"), broadcast(t.get("ia3"), shape));
                    case DENSE -> new GivenUpdate.Dense(t.get(""), broadcast(t.get(""), shape));
                    default -> throw new IllegalStateException(kind.label());
                });
    }

    private Broadcast broadcast(UpdateTensor t, Shape param) throws BadCheckpointException {
        return Broadcast.of(t.shape(), param)
                .orElseThrow(() -> new BadCheckpointException(
                        file,
                        t.name(),
                        "shape " + t.shape() + " does not broadcast to the parameter's shape " + param));
    }

    private GivenUpdate lowRank(String name, UpdateTensor r, UpdateTensor c, Shape shape)
            throws BadCheckpointException {
        long[] rd = r.shape().dims(), cd = c.shape().dims();
        if (rd.length < 2 || cd.length < 2 || rd[rd.length - 1] != cd[cd.length - 2]) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "R " + r.shape() + " and C " + c.shape() + " are not matrices (or stacks of them) that multiply");
        }
        long[] rb = Arrays.copyOf(rd, rd.length - 2), cb = Arrays.copyOf(cd, cd.length - 2);
        long m = rd[rd.length - 2], k = rd[rd.length - 1], n = cd[cd.length - 1];
        long[] batch = Broadcast.shape(rb, cb)
                .orElseThrow(() -> new BadCheckpointException(
                        file,
                        name,
                        "R " + r.shape() + " and C " + c.shape() + " have batch dimensions that do not broadcast"));
        long[] product = Arrays.copyOf(batch, batch.length + 2);
        product[batch.length] = m;
        product[batch.length + 1] = n;
        Shape productShape = Shape.of(product);
        Broadcast toParam = Broadcast.of(productShape, shape)
                .orElseThrow(() -> new BadCheckpointException(
                        file,
                        name,
                        "R @ C has shape " + productShape + ", which does not broadcast to the parameter's shape "
                                + shape));
        if (r.shape().numel() > Integer.MAX_VALUE || c.shape().numel() > Integer.MAX_VALUE) {
            throw new BadCheckpointException(file, name, "low-rank factors of more than 2^31 elements");
        }
        boolean matrix = shape.rank() == 2 && rd.length == 2 && cd.length == 2 && productShape.equals(shape);
        return new GivenUpdate.LowRank(
                r.toDoubles(),
                c.toDoubles(),
                (int) m,
                (int) k,
                (int) n,
                toParam,
                Broadcast.of(Shape.of(rb), Shape.of(batch)).orElseThrow(),
                Broadcast.of(Shape.of(cb), Shape.of(batch)).orElseThrow(),
                matrix);
    }

    /** scipy's CSR: row i holds {@code data[indptr[i]:indptr[i+1]]} at {@code indices[...]}; duplicates add up. */
    private GivenUpdate sparse(String name, Map<String, UpdateTensor> t, Shape shape) throws BadCheckpointException {
        double[] dims = t.get("shape").toDoubles();
        long[] declared = new long[dims.length];
        for (int i = 0; i < dims.length; i++) declared[i] = (long) dims[i];
        if (!Arrays.equals(declared, shape.dims())) {
            throw new BadCheckpointException(
                    file, name + "/shape", Arrays.toString(declared) + " is not the parameter's shape " + shape);
        }
        UpdateTensor data = t.get("data"), indices = t.get("indices");
        double[] indptr = t.get("indptr").toDoubles();
        long nnz = data.shape().numel();
        int rows = indptr.length - 1;
        if (rows < 1 || indices.shape().numel() != nnz || nnz > Integer.MAX_VALUE || shape.numel() % rows != 0) {
            throw new BadCheckpointException(
                    file,
                    name,
                    "CSR arrays do not fit: " + nnz + " data, "
                            + indices.shape().numel() + " indices, " + indptr.length + " indptr for " + shape.numel()
                            + " elements");
        }
        long cols = shape.numel() / rows;
        TreeMap<Long, Double> sums = new TreeMap<>();
        for (int row = 0; row < rows; row++) {
            long from = (long) indptr[row], to = (long) indptr[row + 1];
            if (from < 0 || to < from || to > nnz) {
                throw new BadCheckpointException(
                        file,
                        name + "/indptr",
                        "row " + row + " spans [" + from + ", " + to + ") of " + nnz + " values");
            }
            for (long j = from; j < to; j++) {
                long col = (long) indices.get(j);
                if (col < 0 || col >= cols) {
                    throw new BadCheckpointException(
                            file, name + "/indices", "column " + col + " is outside [0, " + cols + ")");
                }
                sums.merge(row * cols + col, data.get(j), Double::sum);
            }
        }
        long[] positions = sums.keySet().stream().mapToLong(Long::longValue).toArray();
        double[] values =
                sums.values().stream().mapToDouble(Double::doubleValue).toArray();
        return new GivenUpdate.Sparse(positions, values);
    }
}
