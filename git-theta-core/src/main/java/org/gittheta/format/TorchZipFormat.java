package org.gittheta.format;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.gittheta.format.SafeUnpickler.Dict;
import org.gittheta.format.SafeUnpickler.PyList;
import org.gittheta.format.SafeUnpickler.StorageRef;
import org.gittheta.format.SafeUnpickler.TensorRef;
import org.gittheta.format.SafeUnpickler.Tuple;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;

/**
 * PyTorch zip checkpoints, what {@code torch.save} writes since 1.6: a zip archive of stored entries
 * {@code <prefix>/data.pkl} (the pickled state dict, whose tensors refer to storages by key),
 * {@code <prefix>/data/<key>} (one per storage, raw little-endian elements, 64-byte aligned by padding in the
 * local header's extra field), and small records ({@code version}, {@code byteorder}, {@code .data/serialization_id}).
 *
 * <p>A slot is one storage, stored once however many tensors view it (tied embeddings, a transpose, a row
 * slice). It is named after the first tensor, in pickle order, that uses it; its dtype is the storage's; its
 * shape is that tensor's when the tensor covers the whole storage contiguously, else the storage's element
 * count. {@link #tensors} lists every tensor with the slot it lives in, so aliases can be shown. A storage no
 * tensor names is called {@code storage/<key>} (U8 bytes if the pickle does not mention it). Every other byte
 * (local headers, data descriptors, the pickle, the small records, the central directory and end records) is
 * skeleton, verbatim; the skeleton's end records locate every entry, so {@link #fromSkeleton} needs nothing else.
 *
 * <p>The pickle is read by {@link SafeUnpickler}, which never runs code: a pickle naming any global a state dict
 * does not need, a compressed storage or data.pkl, or a pickle whose root is not a dict gives
 * {@link NotAStateDictException}; such files are meant to be stored whole. Storage CRCs are not checked (they
 * would need a second pass over every tensor byte; the values are hashed on their way into the store); the
 * CRCs of the small entries are.
 *
 * <p>The skeleton is not a prefix of the file (the central directory follows the data), so this format is
 * read whole: {@link #streamsFromPrefix()} is false.
 */
public final class TorchZipFormat implements CheckpointFormat {
    public static final TorchZipFormat INSTANCE = new TorchZipFormat();

    private static final int MAX_DEPTH = 100;
    private static final String PICKLE = "data.pkl";
    private static final String SYNTHETIC = "storage/";
    private static final String BYTE_ORDER = "byteorder";
    private static final int STORED = 0;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TorchZipFormat() {}

    @Override
    public String name() {
        return "torch-zip";
    }

    @Override
    public boolean streamsFromPrefix() {
        return false;
    }

    /** @throws UnsupportedOperationException always: read the whole file, see {@link #streamsFromPrefix()} */
    @Override
    public long skeletonLength(String file, MemorySegment prefix) {
        throw new UnsupportedOperationException("torch-zip skeletons are not a prefix of the file");
    }

    /** @throws UnsupportedOperationException always: read the whole file, see {@link #streamsFromPrefix()} */
    @Override
    public int minPrefix() {
        throw new UnsupportedOperationException("torch-zip skeletons are not a prefix of the file");
    }

    @Override
    public CheckpointLayout read(String file, MemorySegment content) throws BadCheckpointException {
        Parsed parsed = parse(file, content, false);
        long tensorBytes = 0;
        for (TensorSlot slot : parsed.slots) tensorBytes += slot.length();
        long skeletonLength = content.byteSize() - tensorBytes;
        if (skeletonLength > Integer.MAX_VALUE - 8) {
            throw new BadCheckpointException(file, "skeleton of " + skeletonLength + " bytes is too large");
        }
        byte[] skeleton = new byte[(int) skeletonLength];
        long from = 0;
        int to = 0;
        for (TensorSlot slot : parsed.slots) {
            int gap = (int) (slot.offset() - from);
            MemorySegment.copy(content, ValueLayout.JAVA_BYTE, from, skeleton, to, gap);
            to += gap;
            from = slot.end();
        }
        MemorySegment.copy(content, ValueLayout.JAVA_BYTE, from, skeleton, to, skeleton.length - to);
        return new CheckpointLayout(name(), skeleton, content.byteSize(), parsed.slots);
    }

    @Override
    public CheckpointLayout fromSkeleton(String file, byte[] skeleton) throws BadCheckpointException {
        Parsed parsed = parse(file, MemorySegment.ofArray(skeleton), true);
        return new CheckpointLayout(name(), skeleton, skeleton.length + parsed.cutBytes, parsed.slots);
    }

    /**
     * The skeleton with the CRC-32 of each storage in {@code changed} recomputed from its new values, in the central
     * directory and in the local header or data descriptor, so that the file it rebuilds is a valid zip.
     */
    @Override
    public byte[] withValues(String file, byte[] skeleton, Set<String> changed, CheckpointWriter.TensorSource values)
            throws IOException {
        Parsed parsed = parse(file, MemorySegment.ofArray(skeleton), true);
        byte[] out = skeleton.clone();
        MemorySegment target = MemorySegment.ofArray(out);
        for (TensorSlot slot : parsed.slots) {
            if (!changed.contains(slot.name())) continue;
            CRC32 crc = new CRC32();
            CountingOutputStream sink = new CountingOutputStream(crc);
            values.writeTensor(slot, sink);
            if (sink.count != slot.length()) {
                throw new IOException(file + ": tensor '" + slot.name() + "': " + sink.count + " bytes of values, the "
                        + "storage holds " + slot.length());
            }
            ZipDirectory.Placed placed = parsed.placed.stream()
                    .filter(p -> p.dataOffset() == slot.offset() && p.entry().size() == slot.length())
                    .findFirst()
                    .orElseThrow();
            for (long at : placed.crcPositions()) target.set(U32, at, (int) crc.getValue());
        }
        return out;
    }

    /** Feeds a CRC, counting the bytes. */
    private static final class CountingOutputStream extends OutputStream {
        private final CRC32 crc;
        private long count;

        CountingOutputStream(CRC32 crc) {
            this.crc = crc;
        }

        @Override
        public void write(int b) {
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            crc.update(b, off, len);
            count += len;
        }
    }

    /** Every named tensor of the checkpoint whose skeleton this is, in pickle order, with the slot holding it. */
    public List<TorchTensor> tensors(String file, byte[] skeleton) throws BadCheckpointException {
        return parse(file, MemorySegment.ofArray(skeleton), true).tensors;
    }

    private record Parsed(
            List<TensorSlot> slots, List<TorchTensor> tensors, long cutBytes, List<ZipDirectory.Placed> placed) {}

    private record View(String name, TensorRef tensor) {}

    private static Parsed parse(String file, MemorySegment in, boolean skeleton) throws BadCheckpointException {
        ZipDirectory zip = ZipDirectory.read(file, in, skeleton);
        String prefix = archivePrefix(file, zip);
        Map<String, String> storageKeys = new LinkedHashMap<>(); // entry name -> storage key
        for (ZipDirectory.Entry e : zip.entries()) {
            if (e.method() == STORED && e.compressedSize() != e.size()) {
                throw new BadCheckpointException(file, "stored entry '" + e.name() + "' has two sizes");
            }
            String key = storageKey(prefix, e.name());
            if (key == null) continue;
            if (e.method() != STORED) {
                throw new NotAStateDictException(file, "storage '" + e.name() + "' is compressed");
            }
            storageKeys.put(e.name(), key);
        }
        List<ZipDirectory.Placed> placed = zip.place(e -> storageKeys.containsKey(e.name()));
        MemorySegment pickle = null;
        for (ZipDirectory.Placed p : placed) {
            if (storageKeys.containsKey(p.entry().name()) || p.entry().method() != STORED) continue;
            MemorySegment data = in.asSlice(p.dataPosition(), p.entry().compressedSize());
            checkCrc(file, p.entry(), data);
            if (p.entry().name().equals(prefix + PICKLE)) pickle = data;
            if (!skeleton && p.entry().name().equals(prefix + BYTE_ORDER)) checkLittleEndian(file, data);
        }
        if (pickle == null) throw new NotAStateDictException(file, "'" + prefix + PICKLE + "' is compressed");
        Object root = SafeUnpickler.load(file, pickle);
        if (!(root instanceof Dict dict)) throw new NotAStateDictException(file, "the pickle holds no dict");
        List<View> views = new ArrayList<>();
        new Walk(file, pickle.byteSize(), views).walk(dict, "", 0);
        return assign(file, placed, storageKeys, views, zip.cutBytes());
    }

    /** The folder every torch archive keeps its records in, with its slash: that of the one {@code <x>/data.pkl}. */
    private static String archivePrefix(String file, ZipDirectory zip) throws BadCheckpointException {
        String prefix = null;
        for (ZipDirectory.Entry e : zip.entries()) {
            int slash = e.name().indexOf('/');
            if (slash > 0 && e.name().substring(slash + 1).equals(PICKLE)) {
                if (prefix != null) {
                    throw new BadCheckpointException(file, "zip archive has two " + PICKLE + " records");
                }
                prefix = e.name().substring(0, slash + 1);
            }
        }
        if (prefix == null) throw new NotAStateDictException(file, "zip archive has no <name>/" + PICKLE);
        return prefix;
    }

    private static String storageKey(String prefix, String entryName) {
        String folder = prefix + "data/";
        if (!entryName.startsWith(folder)) return null;
        String key = entryName.substring(folder.length());
        return key.isEmpty() || key.contains("/") ? null : key;
    }

    /**
     * Values are read as little-endian everywhere (diff, merges, dedup by value), so a checkpoint saved on a big-endian
     * machine, which says so in its byteorder record, is stored whole rather than misread. Checked only when a file is
     * split: a skeleton stored before still reads as it was stored.
     */
    private static void checkLittleEndian(String file, MemorySegment record) throws BadCheckpointException {
        String order = record.byteSize() > "little".length()
                ? ""
                : new String(record.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
        if (order.equals("big")) throw new NotAStateDictException(file, "storages are big-endian (byteorder 'big')");
        if (!order.equals("little")) {
            throw new BadCheckpointException(file, "entry '" + BYTE_ORDER + "' is neither 'little' nor 'big'");
        }
    }

    private static void checkCrc(String file, ZipDirectory.Entry e, MemorySegment data) throws BadCheckpointException {
        CRC32 crc = new CRC32();
        crc.update(data.asByteBuffer());
        if (crc.getValue() != e.crc()) {
            throw new BadCheckpointException(file, "entry '" + e.name() + "' fails its CRC check");
        }
    }

    /** Names each storage entry after its first view and checks every view fits its storage. */
    private static Parsed assign(
            String file, List<ZipDirectory.Placed> placed, Map<String, String> keys, List<View> views, long cutBytes)
            throws BadCheckpointException {
        Map<String, ZipDirectory.Entry> entryByKey = new LinkedHashMap<>();
        for (ZipDirectory.Placed p : placed) {
            String key = keys.get(p.entry().name());
            if (key != null) entryByKey.put(key, p.entry());
        }
        Map<String, View> firstView = new LinkedHashMap<>();
        for (View v : views) {
            StorageRef storage = v.tensor.storage();
            ZipDirectory.Entry entry = entryByKey.get(storage.key());
            if (entry == null) {
                throw new BadCheckpointException(file, v.name, "storage '" + storage.key() + "' has no data entry");
            }
            // Views of one storage may declare it with other dtypes (torch.save writes w.view(torch.float8_e5m2)
            // beside a float8_e4m3fn w over one untyped storage): checkView holds each declaration to the entry's
            // bytes, and the slot takes the first view's dtype, as torch.load does.
            firstView.putIfAbsent(storage.key(), v);
            checkView(file, v, entry);
        }
        Set<String> taken = new HashSet<>();
        Map<String, String> slotByKey = new LinkedHashMap<>();
        List<TensorSlot> slots = new ArrayList<>();
        for (ZipDirectory.Placed p : placed) {
            String key = keys.get(p.entry().name());
            if (key == null) continue;
            View first = firstView.get(key);
            String name = first == null || first.name.isEmpty() ? SYNTHETIC + key : first.name;
            if (!taken.add(name) && !taken.add(name = name + "#" + key)) {
                throw new BadCheckpointException(file, name, "two storages take this name");
            }
            slotByKey.put(key, name);
            DType dtype = first == null ? DType.U8 : first.tensor.storage().dtype();
            long numel =
                    first == null ? p.entry().size() : first.tensor.storage().numel();
            Shape shape =
                    first != null && coversContiguously(first.tensor) ? Shape.of(first.tensor.size()) : Shape.of(numel);
            slots.add(
                    new TensorSlot(name, dtype, shape, p.dataOffset(), p.entry().size()));
        }
        slots.sort(CheckpointLayout.FILE_ORDER);
        List<TorchTensor> tensors = new ArrayList<>(views.size());
        for (View v : views) {
            TensorRef t = v.tensor;
            List<Long> stride = new ArrayList<>(t.stride().length);
            for (long s : t.stride()) stride.add(s);
            tensors.add(new TorchTensor(
                    v.name,
                    slotByKey.get(t.storage().key()),
                    t.storage().dtype(),
                    Shape.of(t.size()),
                    t.storageOffset(),
                    stride));
        }
        return new Parsed(slots, List.copyOf(tensors), cutBytes, placed);
    }

    private static void checkView(String file, View v, ZipDirectory.Entry entry) throws BadCheckpointException {
        StorageRef storage = v.tensor.storage();
        long bytes;
        try {
            bytes = storage.dtype().byteSize(storage.numel());
        } catch (ArithmeticException e) {
            throw new BadCheckpointException(file, v.name, "storage of " + storage.numel() + " elements is too large");
        }
        if (bytes != entry.size()) {
            throw new BadCheckpointException(
                    file,
                    v.name,
                    "storage '" + entry.name() + "' holds " + entry.size() + " bytes, " + storage.numel()
                            + " elements of " + storage.dtype() + " need " + bytes);
        }
        try {
            long[] size = v.tensor.size();
            long numel = 1;
            long last = v.tensor.storageOffset();
            for (int i = 0; i < size.length; i++) {
                numel = Math.multiplyExact(numel, size[i]);
                if (size[i] > 0)
                    last = Math.addExact(
                            last, Math.multiplyExact(size[i] - 1, v.tensor.stride()[i]));
            }
            if (numel > 0 && last >= storage.numel()) {
                throw new BadCheckpointException(
                        file, v.name, "view reaches element " + last + " of a storage of " + storage.numel());
            }
        } catch (ArithmeticException e) {
            throw new BadCheckpointException(file, v.name, "view's size or stride overflows");
        }
    }

    /** Whether the tensor is the whole storage in row-major order, so its shape describes the slot. */
    private static boolean coversContiguously(TensorRef t) {
        long numel = 1;
        for (long d : t.size()) numel *= d;
        if (t.storageOffset() != 0 || numel != t.storage().numel()) return false;
        if (numel == 0) return true;
        long expected = 1;
        for (int i = t.size().length - 1; i >= 0; i--) {
            if (t.size()[i] > 1 && t.stride()[i] != expected) return false;
            expected *= t.size()[i];
        }
        return true;
    }

    /**
     * Finds the tensors (and bare storages) in the pickled value, naming them by their path of dict keys and
     * sequence indices joined with '.'. The pickle may share values, so the walk is bounded in depth (which also
     * stops cycles) and in the number of values visited (a DAG can fan out exponentially).
     */
    private static final class Walk {
        private final String file;
        private final List<View> views;
        private long budget;

        Walk(String file, long pickleLength, List<View> views) {
            this.file = file;
            this.views = views;
            this.budget = pickleLength + 1000;
        }

        void walk(Object value, String name, int depth) throws NotAStateDictException {
            if (--budget < 0) throw new NotAStateDictException(file, "the pickle shares values too often to list them");
            if (depth > MAX_DEPTH) throw new NotAStateDictException(file, "values nested deeper than " + MAX_DEPTH);
            switch (value) {
                case TensorRef t -> views.add(new View(name, t));
                case StorageRef s -> views.add(new View(name, wholeStorage(s)));
                case Dict d -> {
                    for (Map.Entry<Object, Object> e : d.items.entrySet()) {
                        walk(e.getValue(), join(name, String.valueOf(e.getKey())), depth + 1);
                    }
                }
                case Tuple t -> walkAll(t.items(), name, depth);
                case PyList l -> walkAll(l.items, name, depth);
                default -> {}
            }
        }

        private void walkAll(List<Object> items, String name, int depth) throws NotAStateDictException {
            for (int i = 0; i < items.size(); i++) walk(items.get(i), join(name, Integer.toString(i)), depth + 1);
        }

        /** A bare storage in the dict reads as a 1-d tensor over all of it. */
        private static TensorRef wholeStorage(StorageRef s) {
            return new TensorRef(s, 0, new long[] {s.numel()}, new long[] {1});
        }

        private static String join(String prefix, String key) {
            return prefix.isEmpty() ? key : prefix + "." + key;
        }
    }

    /** Whether {@code head} starts like a torch zip checkpoint: a zip whose first entry is {@code <name>/data.pkl}. */
    static boolean looksLikeTorchZip(MemorySegment head) {
        if (head.byteSize() < 30
                || head.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0) != 0x04034b50) {
            return false;
        }
        int nameLength =
                Short.toUnsignedInt(head.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 26));
        if (head.byteSize() < 30L + nameLength) return false;
        String name = new String(head.asSlice(30, nameLength).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        int slash = name.indexOf('/');
        return slash > 0 && name.substring(slash + 1).equals(PICKLE);
    }
}
