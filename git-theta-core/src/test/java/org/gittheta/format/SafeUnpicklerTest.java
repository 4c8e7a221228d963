package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gittheta.format.SafeUnpickler.Dict;
import org.gittheta.format.SafeUnpickler.Tuple;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.junit.jupiter.api.Test;

class SafeUnpicklerTest {
    private static final String FILE = "m.pt";

    /** Pickle bytecode written by hand: opcodes as chars, strings as BINUNICODE. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... ops) {
            for (int op : ops) out.write(op);
            return this;
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X', b.length, b.length >> 8, b.length >> 16, b.length >> 24);
            out.writeBytes(b);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static Object load(Pickle p) throws BadCheckpointException {
        return SafeUnpickler.load(FILE, MemorySegment.ofArray(p.bytes()));
    }

    /** The pickle as the data.pkl of an otherwise empty torch archive. */
    private static byte[] archive(Pickle p) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("m/data.pkl", p.bytes());
        entries.put("m/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return TorchCheckpoints.storedZip(entries);
    }

    @Test
    void readsPlainData() throws BadCheckpointException {
        Object v = load(new Pickle()
                .op(0x80, 2)
                .op('}')
                .op('(')
                .str("a")
                .op('K', 7)
                .str("b")
                .op('(', 'N', 0x88, 0x89, 't')
                .op('u')
                .op('.'));
        Tuple b = new Tuple(List.of(SafeUnpickler.NONE, true, false));
        assertThat(v)
                .isInstanceOfSatisfying(
                        Dict.class, d -> assertThat(d.items).containsExactly(Map.entry("a", 7L), Map.entry("b", b)));
    }

    @Test
    void bytesPickledAtProtocol2AreBytes() throws BadCheckpointException {
        Object v = load(new Pickle()
                .op(0x80, 2)
                .op('}')
                .op('(')
                .str("extra_state")
                .global("_codecs", "encode")
                .op('(')
                .str("\u0000\u00ff")
                .str("latin1")
                .op('t', 'R')
                .str("empty")
                .global("__builtin__", "bytes")
                .op(')', 'R')
                .op('u')
                .op('.'));
        assertThat(v).isInstanceOfSatisfying(Dict.class, d -> {
            assertThat((byte[]) d.items.get("extra_state")).containsExactly(0, 0xff);
            assertThat((byte[]) d.items.get("empty")).isEmpty();
        });
    }

    @Test
    void largeIntegersAreExact() throws BadCheckpointException {
        assertThat(load(new Pickle().op(0x8a, 5, 0, 0, 0, 0, 1).op('.'))).isEqualTo(1L << 32);
        assertThat(load(new Pickle().op(0x8a, 1, 0xff).op('.'))).isEqualTo(-1L);
        assertThat(load(new Pickle().op('J', 0xff, 0xff, 0xff, 0xff).op('.'))).isEqualTo(-1L);
    }

    @Test
    void refusesAnyOtherGlobalBeforeCallingIt() {
        assertThatThrownBy(() ->
                        load(new Pickle().global("builtins", "eval").str("1").op(0x85, 'R', '.')))
                .isInstanceOfSatisfying(
                        NotAStateDictException.class,
                        e -> assertThat(e.global()).hasValue("builtins eval"));
        assertThatThrownBy(() -> load(new Pickle().str("os").str("system").op(0x93, '.')))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessage(FILE + ": not a state dict: global 'os system'");
        // Allowed names in the wrong module are not allowed.
        assertThatThrownBy(() -> load(new Pickle().global("os", "FloatStorage").op('.')))
                .isInstanceOf(NotAStateDictException.class);
    }

    @Test
    void refusesObjectConstruction() {
        assertThatThrownBy(() ->
                        load(new Pickle().global("collections", "OrderedDict").op(')', 0x81, '.')))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("opcode 0x81");
        assertThatThrownBy(
                        () -> load(new Pickle().global("torch", "FloatStorage").op(')', 'R', '.')))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("torch FloatStorage");
    }

    @Test
    void malformedBytecodeIsABadCheckpoint() {
        assertThatThrownBy(
                        () -> load(new Pickle().op('X', 0xff, 0xff, 0xff, 0xff).op('.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("pickle ends early");
        assertThatThrownBy(() -> load(new Pickle().op('j', 9, 0, 0, 0, '.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("memo entry 9");
        assertThatThrownBy(() -> load(new Pickle().op(0xff)))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("unknown pickle opcode 0xff");
        assertThatThrownBy(() -> load(new Pickle().op('.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("STOP with 0 values");
        assertThatThrownBy(() -> load(new Pickle().op('(', 's', '.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("stack underflow");
        assertThatThrownBy(() -> load(new Pickle().op('N', 'u', '.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("no MARK");
        assertThatThrownBy(() -> load(new Pickle().op('N', '.', 'N')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("after STOP");
        assertThatThrownBy(() -> load(new Pickle().op('X', 2, 0, 0, 0, 0xc3, 0x28, '.')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> load(new Pickle().op('c', 't', 'o')))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("GLOBAL");
    }

    @Test
    void cyclicValuesAreRefusedNotWalkedForever() {
        // {'a': L} where L = [L]
        byte[] file = archive(new Pickle().op(0x80, 2, '}').str("a").op(']', 'q', 0, 'h', 0, 'a', 's', '.'));
        assertThatThrownBy(() -> TorchCheckpoints.read(FILE, file))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("nested deeper");
    }

    @Test
    void exponentiallySharedValuesAreRefused() {
        // L0 = [], Li = [L(i-1), L(i-1)]: 2^60 paths through 60 lists.
        Pickle shared = new Pickle().op(0x80, 2, '}').str("a").op(']', 'q', 0, '0');
        for (int i = 1; i <= 60; i++) shared.op(']', 'h', i - 1, 'a', 'h', i - 1, 'a', 'q', i, '0');
        shared.op('h', 60, 's', '.');
        assertThatThrownBy(() -> TorchCheckpoints.read(FILE, archive(shared)))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("shares values");
    }

    @Test
    void rootMustBeADict() {
        assertThatThrownBy(() -> TorchCheckpoints.read(FILE, archive(new Pickle().op(0x80, 2, ']', '.'))))
                .isInstanceOf(NotAStateDictException.class)
                .hasMessageContaining("no dict");
    }

    /**
     * {@code {'w': _rebuild_parameter(_rebuild_tensor_v2(<storage '0' of 4 elements>, offset, size, stride, False,
     * OrderedDict()), True, OrderedDict())}} in protocol 4 opcodes (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE).
     */
    private static Pickle parameter(String storageType, int offset, int[] size, int[] stride) {
        Pickle p = new Pickle()
                .op(0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0)
                .op('}', 0x94)
                .str("w")
                .str("torch._utils")
                .str("_rebuild_parameter")
                .op(0x93)
                .str("torch._utils")
                .str("_rebuild_tensor_v2")
                .op(0x93)
                .op('(', '(')
                .str("storage")
                .str("torch")
                .str(storageType)
                .op(0x93)
                .str("0")
                .str("cpu")
                .op('K', 4, 't')
                .op('Q', 'K', offset, '(');
        for (int d : size) p.op('K', d);
        p.op('t', '(');
        for (int d : stride) p.op('K', d);
        p.op('t', 0x89).str("collections").str("OrderedDict").op(0x93, 0x94, ')', 'R', 't', 'R');
        return p.op(0x88, 'h', 1, ')', 'R', 0x87, 'R', 's', '.');
    }

    private static byte[] withStorage(Pickle p, int bytes) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("m/data.pkl", p.bytes());
        entries.put("m/data/0", new byte[bytes]);
        return TorchCheckpoints.storedZip(entries);
    }

    @Test
    void parametersAndProtocol4OpcodesGiveTensors() throws IOException {
        CheckpointLayout layout = TorchCheckpoints.read(
                FILE, withStorage(parameter("FloatStorage", 0, new int[] {2, 2}, new int[] {2, 1}), 16));
        assertThat(layout.tensors()).singleElement().satisfies(slot -> {
            assertThat(slot.name()).isEqualTo("w");
            assertThat(slot.dtype()).isEqualTo(DType.F32);
            assertThat(slot.shape()).isEqualTo(Shape.of(2, 2));
        });
        // A view of part of the storage: the slot is the whole storage, flat.
        CheckpointLayout part = TorchCheckpoints.read(
                FILE, withStorage(parameter("UntypedStorage", 1, new int[] {3}, new int[] {1}), 4));
        assertThat(part.tensors().getFirst().shape()).isEqualTo(Shape.of(4));
        assertThat(part.tensors().getFirst().dtype()).isEqualTo(DType.U8);
    }

    @Test
    void viewsMustFitTheirStorage() {
        assertThatThrownBy(() -> TorchCheckpoints.read(
                        FILE, withStorage(parameter("FloatStorage", 1, new int[] {2, 2}, new int[] {2, 1}), 16)))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessage(FILE + ": tensor 'w': view reaches element 4 of a storage of 4");
        assertThatThrownBy(() -> TorchCheckpoints.read(
                        FILE, withStorage(parameter("FloatStorage", 0, new int[] {4}, new int[] {1}), 12)))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("holds 12 bytes, 4 elements of F32 need 16");
        assertThatThrownBy(() -> TorchCheckpoints.read(
                        FILE, archive(parameter("FloatStorage", 0, new int[] {4}, new int[] {1}))))
                .isExactlyInstanceOf(BadCheckpointException.class)
                .hasMessageContaining("storage '0' has no data entry");
    }
}
