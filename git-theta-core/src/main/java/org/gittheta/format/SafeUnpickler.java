package org.gittheta.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gittheta.tensor.DType;

/**
 * Interprets the pickle bytecode {@code torch.save} writes (protocol 2; the opcodes of protocols 3 and 4 that
 * carry plain data are accepted too) into plain values, without running or instantiating anything the file
 * names. Only the globals a state dict needs are allowed; any other global ends the load with
 * {@link NotAStateDictException} before it can be called. The allowed calls are interpreted here:
 * {@code OrderedDict()} gives an empty {@link Dict}, {@code _rebuild_tensor_v2}, {@code _rebuild_tensor_v3} and
 * {@code _rebuild_parameter} give a {@link TensorRef}, {@code _codecs.encode(s, 'latin1')} and {@code bytes()} give
 * bytes, {@code torch.Size(t)} gives the tuple, and a persistent id gives a {@link StorageRef}.
 *
 * <p>Values are String, Long, BigInteger (integers beyond 64 bits), Double, Boolean, {@link #NONE}, byte[],
 * {@link Tuple}, {@link PyList}, {@link Dict}, {@link Global}, {@link StorageRef} and {@link TensorRef}.
 * Memory is bounded by the pickle's length: every length is checked against the bytes that remain before
 * anything is allocated, and the stack and memo have fixed limits. Shared references are kept as references,
 * so a value graph may be a DAG or even cyclic; walkers must bound their own work.
 */
final class SafeUnpickler {
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MEMO = 1 << 20;
    private static final int MAX_GLOBAL_LINE = 256;
    private static final int HIGHEST_PROTOCOL = 5;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BIG_ENDIAN =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    record Tuple(List<Object> items) {
        Tuple {
            items = List.copyOf(items);
        }
    }

    static final class PyList {
        final List<Object> items = new ArrayList<>();
    }

    /** A dict or OrderedDict, in insertion order; BUILD state (an OrderedDict's {@code _metadata}) is dropped. */
    static final class Dict {
        final Map<Object, Object> items = new LinkedHashMap<>();
    }

    /** A module-level name the pickle refers to, already checked against the allow-list. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + " " + name;
        }
    }

    /** One storage of the archive, {@code <prefix>/data/<key>}, of {@code numel} elements of {@code dtype}. */
    record StorageRef(String key, DType dtype, long numel) {}

    /** A tensor as a view of a storage; size and stride have one entry per dimension. */
    record TensorRef(StorageRef storage, long storageOffset, long[] size, long[] stride) {}

    private static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32),
            Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64),
            Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16),
            Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8),
            Map.entry("BoolStorage", DType.BOOL),
            Map.entry("ComplexFloatStorage", DType.C64),
            // Untyped storages count bytes.
            Map.entry("UntypedStorage", DType.U8),
            Map.entry("TypedStorage", DType.U8));

    /** torch's dtypes by the names a pickle gives them ({@code torch.float8_e4m3fn}), with aliases. */
    private static final Map<String, DType> TORCH_DTYPES = Map.ofEntries(
            Map.entry("float32", DType.F32),
            Map.entry("float", DType.F32),
            Map.entry("float16", DType.F16),
            Map.entry("half", DType.F16),
            Map.entry("bfloat16", DType.BF16),
            Map.entry("float64", DType.F64),
            Map.entry("double", DType.F64),
            Map.entry("int64", DType.I64),
            Map.entry("long", DType.I64),
            Map.entry("int32", DType.I32),
            Map.entry("int", DType.I32),
            Map.entry("int16", DType.I16),
            Map.entry("short", DType.I16),
            Map.entry("int8", DType.I8),
            Map.entry("uint8", DType.U8),
            Map.entry("bool", DType.BOOL),
            Map.entry("uint16", DType.U16),
            Map.entry("uint32", DType.U32),
            Map.entry("uint64", DType.U64),
            Map.entry("complex64", DType.C64),
            Map.entry("float8_e4m3fn", DType.F8_E4M3),
            Map.entry("float8_e5m2", DType.F8_E5M2),
            Map.entry("float8_e8m0fnu", DType.F8_E8M0));

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    /** What torch writes for the dtypes without a typed storage class (float8, uint16..64): an untyped storage. */
    private static final Global REBUILD_TENSOR_V3 = new Global("torch._utils", "_rebuild_tensor_v3");

    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    private static final Global SIZE = new Global("torch", "Size");
    /** How Python 3 pickles bytes at protocol 2: {@code _codecs.encode(<the bytes as a latin-1 str>, 'latin1')}. */
    private static final Global CODECS_ENCODE = new Global("_codecs", "encode");
    /** ... and empty bytes: {@code bytes()}. */
    private static final Global BYTES = new Global("__builtin__", "bytes");

    private final String file;
    private final MemorySegment in;
    private long pos;
    private long opcodeAt;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private SafeUnpickler(String file, MemorySegment in) {
        this.file = file;
        this.in = in;
    }

    /**
     * The value {@code pickle} holds. {@code file} names the checkpoint in messages.
     * @throws NotAStateDictException when the pickle uses a global or construct a state dict does not need
     * @throws BadCheckpointException when the bytecode is malformed or ends early
     */
    static Object load(String file, MemorySegment pickle) throws BadCheckpointException {
        return new SafeUnpickler(file, pickle).run();
    }

    private Object run() throws BadCheckpointException {
        while (true) {
            opcodeAt = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol > HIGHEST_PROTOCOL) throw bad("unknown pickle protocol " + protocol);
                }
                case 0x95 -> { // FRAME: a length hint only
                    long length = in.get(I64, take(8));
                    if (length < 0 || length > remaining()) {
                        throw bad("frame of " + length + " bytes runs past the end");
                    }
                }
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw bad("STOP with " + stack.size() + " values on the stack, expected 1");
                    }
                    if (remaining() != 0) throw bad(remaining() + " bytes after STOP");
                    return stack.getFirst();
                }
                case '(' -> {
                    if (marks.size() >= MAX_STACK) throw bad("more than " + MAX_STACK + " open marks");
                    marks.add(stack.size());
                }
                case '}' -> push(new Dict());
                case ']' -> push(new PyList());
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(new Tuple(popN(1)));
                case 0x86 -> push(new Tuple(popN(2)));
                case 0x87 -> push(new Tuple(popN(3)));
                case 'X' -> push(utf8(u32()));
                case 0x8c -> push(utf8(u8()));
                case 0x8d -> push(utf8(u64()));
                case 'B' -> push(bytes(u32()));
                case 'C' -> push(bytes(u8()));
                case 0x8e -> push(bytes(u64()));
                case 'J' -> push((long) in.get(I32, take(4)));
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | u8() << 8));
                case 0x8a -> push(longValue(u8()));
                case 0x8b -> push(longValue(u32()));
                case 'G' -> push(in.get(F64_BIG_ENDIAN, take(8)));
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'c' -> push(global(line(), line()));
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw bad("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop();
                    push(reduce(pop(), args));
                }
                case 'b' -> { // BUILD: only an OrderedDict's attributes (_metadata) are set this way
                    pop();
                    if (!(peek() instanceof Dict)) throw notStateDict("BUILD on a " + kind(peek()));
                }
                case 'Q' -> push(storage(pop()));
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    dict().items.put(key(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) throw bad("SETITEMS with an odd number of values");
                    Dict dict = dict();
                    for (int i = 0; i < items.size(); i += 2) dict.items.put(key(items.get(i)), items.get(i + 1));
                }
                case 'a' -> {
                    Object v = pop();
                    list().items.add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list().items.addAll(items);
                }
                case 'q' -> put(u8());
                case 'r' -> put(u32());
                case 0x94 -> put(memo.size());
                case 'h' -> push(get(u8()));
                case 'j' -> push(get(u32()));
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'P',
                        'i',
                        'o',
                        0x81,
                        0x92,
                        0x82,
                        0x83,
                        0x84,
                        'S',
                        'T',
                        'U',
                        'V',
                        'I',
                        'L',
                        'F',
                        'g',
                        'p',
                        'd',
                        'l',
                        0x8f,
                        0x90,
                        0x91,
                        0x96,
                        0x97,
                        0x98 -> throw notStateDict(String.format("pickle opcode 0x%02x at byte %d", op, opcodeAt));
                default -> throw bad(String.format("unknown pickle opcode 0x%02x", op));
            }
        }
    }

    private Global global(String module, String name) throws BadCheckpointException {
        Global g = new Global(module, name);
        boolean allowed = g.equals(ORDERED_DICT)
                || g.equals(REBUILD_TENSOR)
                || g.equals(REBUILD_TENSOR_V3)
                || g.equals(REBUILD_PARAMETER)
                || g.equals(SIZE)
                || g.equals(CODECS_ENCODE)
                || g.equals(BYTES)
                || storageType(g) != null
                || module.equals("torch") && TORCH_DTYPES.containsKey(name);
        if (!allowed) throw NotAStateDictException.forGlobal(file, g.toString());
        return g;
    }

    private static DType storageType(Global g) {
        boolean untyped = g.name.equals("UntypedStorage") || g.name.equals("TypedStorage");
        boolean storageModule = g.module.equals("torch") || g.module.equals("torch.storage") && untyped;
        return storageModule ? STORAGE_TYPES.get(g.name) : null;
    }

    private Object reduce(Object callable, Object argsValue) throws BadCheckpointException {
        if (!(argsValue instanceof Tuple(List<Object> args))) throw bad("REDUCE arguments are not a tuple");
        if (!(callable instanceof Global g)) throw notStateDict("REDUCE calls a " + kind(callable));
        if (g.equals(ORDERED_DICT) && args.isEmpty()) return new Dict();
        if (g.equals(SIZE) && args.size() == 1 && args.getFirst() instanceof Tuple t) return t;
        if (g.equals(REBUILD_TENSOR) && (args.size() == 6 || args.size() == 7)) return tensor(args);
        if (g.equals(REBUILD_TENSOR_V3) && (args.size() == 7 || args.size() == 8)) return tensorV3(args);
        if (g.equals(REBUILD_PARAMETER) && args.size() == 3 && args.getFirst() instanceof TensorRef t) return t;
        if (g.equals(BYTES) && args.isEmpty()) return new byte[0];
        if (g.equals(CODECS_ENCODE) && args.size() == 2 && args.get(0) instanceof String text) {
            if (!"latin1".equals(args.get(1))
                    || !StandardCharsets.ISO_8859_1.newEncoder().canEncode(text)) {
                throw bad("_codecs.encode of a str that is not latin-1 bytes");
            }
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }
        throw notStateDict("call of " + g + " with " + args.size() + " arguments");
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private TensorRef tensor(List<Object> args) throws BadCheckpointException {
        if (!(args.get(0) instanceof StorageRef storage)) {
            throw bad("_rebuild_tensor_v2: first argument is not a storage");
        }
        return view(REBUILD_TENSOR, storage, args);
    }

    private TensorRef view(Global function, StorageRef storage, List<Object> args) throws BadCheckpointException {
        long offset = natural(args.get(1), function.name + ": storage offset");
        long[] size = naturals(args.get(2), function.name + ": size");
        long[] stride = naturals(args.get(3), function.name + ": stride");
        if (size.length != stride.length) {
            throw bad(function.name + ": size has " + size.length + " dimensions, stride " + stride.length);
        }
        return new TensorRef(storage, offset, size, stride);
    }

    /**
     * {@code _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[,
     * metadata])}: the storage is untyped (bytes), read as elements of {@code dtype}, in which offset and strides
     * count.
     */
    private TensorRef tensorV3(List<Object> args) throws BadCheckpointException {
        if (!(args.get(6) instanceof Global g) || !g.module.equals("torch") || !TORCH_DTYPES.containsKey(g.name)) {
            throw bad("_rebuild_tensor_v3: dtype is not a torch dtype");
        }
        DType dtype = TORCH_DTYPES.get(g.name);
        if (!(args.get(0) instanceof StorageRef(String key, DType bytes, long length)) || bytes != DType.U8) {
            throw bad("_rebuild_tensor_v3: first argument is not an untyped storage");
        }
        int width = dtype.bits() / 8;
        if (length % width != 0) {
            throw bad("_rebuild_tensor_v3: storage of " + length + " bytes is not whole elements of " + dtype);
        }
        return view(REBUILD_TENSOR_V3, new StorageRef(key, dtype, length / width), args);
    }

    /** A persistent id: {@code ('storage', storage_type, key, location, numel)}. */
    private StorageRef storage(Object pid) throws BadCheckpointException {
        if (!(pid instanceof Tuple(List<Object> f)) || f.size() != 5 || !"storage".equals(f.get(0))) {
            throw notStateDict("persistent id that is not a storage");
        }
        DType dtype = f.get(1) instanceof Global g ? storageType(g) : null;
        if (dtype == null) throw bad("persistent id: storage type is not a torch storage class");
        if (!(f.get(2) instanceof String key)) throw bad("persistent id: storage key is not a string");
        if (!(f.get(3) instanceof String)) throw bad("persistent id: storage location is not a string");
        return new StorageRef(key, dtype, natural(f.get(4), "persistent id: element count"));
    }

    private long[] naturals(Object value, String what) throws BadCheckpointException {
        if (!(value instanceof Tuple(List<Object> items))) throw bad(what + " is not a tuple");
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = natural(items.get(i), what);
        return out;
    }

    private long natural(Object value, String what) throws BadCheckpointException {
        if (!(value instanceof Long n) || n < 0) throw bad(what + " is not a non-negative integer");
        return n;
    }

    /** Dict keys must be plain atoms: a state dict's are strings, and atoms keep hashing cheap and finite. */
    private Object key(Object k) throws BadCheckpointException {
        if (k instanceof String
                || k instanceof Long
                || k instanceof BigInteger
                || k instanceof Boolean
                || k instanceof Double
                || k == NONE) {
            return k;
        }
        throw notStateDict("dict key of type " + kind(k));
    }

    private Dict dict() throws BadCheckpointException {
        if (!(peek() instanceof Dict d)) throw bad("SETITEM on a " + kind(peek()));
        return d;
    }

    private PyList list() throws BadCheckpointException {
        if (!(peek() instanceof PyList l)) throw bad("APPEND on a " + kind(peek()));
        return l;
    }

    private static String kind(Object v) {
        return switch (v) {
            case String s -> "str";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case byte[] b -> "bytes";
            case Tuple t -> "tuple";
            case PyList l -> "list";
            case Dict d -> "dict";
            case Global g -> "global " + g;
            case StorageRef s -> "storage";
            case TensorRef t -> "tensor";
            default -> "None";
        };
    }

    private void push(Object v) throws BadCheckpointException {
        if (stack.size() >= MAX_STACK) throw bad("stack deeper than " + MAX_STACK);
        stack.add(v);
    }

    private Object pop() throws BadCheckpointException {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) throw bad("stack underflow");
        return stack.removeLast();
    }

    private Object peek() throws BadCheckpointException {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) throw bad("stack underflow");
        return stack.getLast();
    }

    private List<Object> popN(int n) throws BadCheckpointException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return List.of(items);
    }

    private List<Object> popMark() throws BadCheckpointException {
        if (marks.isEmpty()) throw bad("no MARK to pop to");
        int from = marks.removeLast();
        List<Object> top = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private void put(long index) throws BadCheckpointException {
        if (!memo.containsKey(index) && memo.size() >= MAX_MEMO) throw bad("memo larger than " + MAX_MEMO);
        memo.put(index, peek());
    }

    private Object get(long index) throws BadCheckpointException {
        Object v = memo.get(index);
        if (v == null) throw bad("memo entry " + index + " is read before it is written");
        return v;
    }

    private Object longValue(long n) throws BadCheckpointException {
        if (n > 0xFFFF) throw notStateDict("integer of " + n + " bytes");
        byte[] le = bytes(n);
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        BigInteger v = be.length == 0 ? BigInteger.ZERO : new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line() throws BadCheckpointException {
        long start = pos;
        long limit = Math.min(in.byteSize(), start + MAX_GLOBAL_LINE);
        for (long i = start; i < limit; i++) {
            if (in.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                pos = i + 1;
                return decode(in.asSlice(start, i - start).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        if (limit == in.byteSize()) throw bad("pickle ends inside a GLOBAL name");
        throw bad("GLOBAL name longer than " + MAX_GLOBAL_LINE + " bytes");
    }

    private String utf8(long length) throws BadCheckpointException {
        return decode(bytes(length));
    }

    private String decode(byte[] raw) throws BadCheckpointException {
        try {
            return StrictUtf8.decode(raw);
        } catch (CharacterCodingException e) {
            throw bad("string is not valid UTF-8");
        }
    }

    private byte[] bytes(long length) throws BadCheckpointException {
        return in.asSlice(take(length), length).toArray(ValueLayout.JAVA_BYTE);
    }

    private int u8() throws BadCheckpointException {
        return Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, take(1)));
    }

    private long u32() throws BadCheckpointException {
        return Integer.toUnsignedLong(in.get(I32, take(4)));
    }

    private long u64() throws BadCheckpointException {
        long n = in.get(I64, take(8));
        if (n < 0) throw bad("length " + Long.toUnsignedString(n) + " runs past the end");
        return n;
    }

    /** Claims the next {@code n} bytes and returns where they start. */
    private long take(long n) throws BadCheckpointException {
        if (n < 0 || n > remaining()) {
            throw bad("pickle ends early: the opcode needs " + n + " bytes, " + remaining() + " remain");
        }
        long at = pos;
        pos += n;
        return at;
    }

    private long remaining() {
        return in.byteSize() - pos;
    }

    private BadCheckpointException bad(String what) {
        return new BadCheckpointException(file, "data.pkl at byte " + opcodeAt + ": " + what);
    }

    private NotAStateDictException notStateDict(String what) {
        return new NotAStateDictException(file, what);
    }
}
