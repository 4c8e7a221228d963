package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.merge.ParamReport.Action;
import org.gittheta.progress.Progress;
import org.gittheta.progress.RecordingProgress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The planner's decisions on manifests built over a real object store. */
class NWayMergeTest {
    @TempDir
    Path tmp;

    private ObjectStore store;
    private ParamEncoder encoder;

    /** One parameter of a test manifest: its raw values. */
    private record Param(String name, DType dtype, byte[] raw) {
        long count() {
            return raw.length / dtype.byteWidth();
        }
    }

    /** Values given as doubles (I32 ones are whole numbers). */
    private static Param param(String name, DType dtype, double... values) {
        byte[] raw = new byte[(int) dtype.byteSize(values.length)];
        MemorySegment seg = MemorySegment.ofArray(raw);
        for (int j = 0; j < values.length; j++) {
            if (dtype == DType.I32) seg.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * j, (int) values[j]);
            else new TensorView(seg, dtype).set(j, values[j]);
        }
        return new Param(name, dtype, raw);
    }

    /** Values given as their bits (NaN payloads and signs as given), for the float types of 2 and 4 bytes. */
    private static Param bits(String name, DType dtype, int... bits) {
        byte[] raw = new byte[(int) dtype.byteSize(bits.length)];
        MemorySegment seg = MemorySegment.ofArray(raw);
        for (int j = 0; j < bits.length; j++) {
            if (dtype.byteWidth() == 4) seg.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * j, bits[j]);
            else seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * j, (short) bits[j]);
        }
        return new Param(name, dtype, raw);
    }

    private Manifest manifest(Param... params) throws IOException {
        if (store == null) {
            store = new ObjectStore(tmp.resolve("lfs"));
            encoder = new ParamEncoder(store, Codec.fromConfig("zstd"), UpdateOptions.auto());
        }
        List<ParamEntry> entries = new ArrayList<>();
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (Param p : params) {
            Shape shape = Shape.of(p.count());
            entries.add(encoder.encode(p.name(), p.dtype(), shape, MemorySegment.ofArray(p.raw()), Optional.empty()));
            tensors.add(new SafetensorsWriter.Tensor(p.name(), p.dtype(), shape, out -> {}));
        }
        byte[] header = SafetensorsWriter.header(tensors, Map.of());
        long size = header.length;
        for (ParamEntry e : entries) size += e.byteSize();
        return new Manifest("safetensors", header, size, entries);
    }

    private MergeResult merge(MergeConfig config, Optional<Manifest> base, Manifest ours, Manifest theirs)
            throws IOException {
        return new NWayMerge(
                        new ParamDecoder(store),
                        encoder,
                        config,
                        List.of(FisherSource.none(), FisherSource.none()),
                        1 << 20,
                        Progress.NONE)
                .merge("m.safetensors", base, List.of(ours, theirs), List.of("ours", "theirs"));
    }

    private static MergeConfig config(String... kv) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2)
            m.computeIfAbsent(kv[i], k -> new ArrayList<>()).add(kv[i + 1]);
        return MergeConfig.parse(m);
    }

    private static ParamReport report(MergeResult r, String name) {
        return r.params().stream()
                .filter(p -> p.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /**
     * Values computed in their slots of a merged file laid out as ours: the merge's result is the same as in memory,
     * and the file holds the computed values where ours's header puts them, recorded for the merged manifest only, as
     * not complete when its completion failed.
     */
    @Test
    void aMergedFileHoldsTheComputedValuesInTheirSlots() throws IOException {
        Manifest base = manifest(param("w", DType.BF16, 1, 2, 3, 4), param("b", DType.F32, 1));
        Manifest ours = manifest(param("w", DType.BF16, 2, 2, 3, 5), param("b", DType.F32, 2));
        Manifest theirs = manifest(param("w", DType.BF16, 1, 4, 3, 6), param("b", DType.F32, 1));
        Manifest expected = merge(MergeConfig.DEFAULT, Optional.of(base), ours, theirs)
                .merged()
                .orElseThrow();
        Path values = tmp.resolve("merged.values");
        Path ready = tmp.resolve("merged.ready");
        Manifest merged;
        RecordingProgress progress = new RecordingProgress();
        try (MergedFile file = MergedFile.start(values, ready, tmp.resolve("work"), "m.safetensors", ours)
                .orElseThrow()) {
            merged = new NWayMerge(
                            new ParamDecoder(store),
                            encoder,
                            MergeConfig.DEFAULT,
                            List.of(FisherSource.none(), FisherSource.none()),
                            1 << 20,
                            progress)
                    .merge(
                            "m.safetensors",
                            Optional.of(base),
                            List.of(ours, theirs),
                            List.of("ours", "theirs"),
                            false,
                            Optional.of(file))
                    .merged()
                    .orElseThrow();
            file.finish(merged, (v, offsets) -> {
                throw new IOException("no room"); // the checkout completes it
            });
        }
        assertThat(merged.params()).isEqualTo(expected.params());
        assertThat(progress.finished())
                .as("w's 8 bytes computed, b taken")
                .containsExactly("merging m.safetensors: 8 of 8");
        assertThat(MergedFile.find(values, ready, ours.toBytes())).isEmpty();
        long w = SafetensorsFormat.INSTANCE
                .fromManifest("m", ours.skeleton(), ours.fileSize())
                .tensor("w")
                .orElseThrow()
                .offset();
        // b was taken from ours, not computed
        MergedFile.Prepared prepared =
                MergedFile.find(values, ready, merged.toBytes()).orElseThrow();
        assertThat(prepared.offsets()).containsExactly(w);
        assertThat(prepared.complete()).as("its completion failed").isFalse();
        byte[] inFile = new byte[8];
        try (FileChannel ch = FileChannel.open(values)) {
            ch.read(ByteBuffer.wrap(inFile), w);
        }
        ByteArrayOutputStream decoded = new ByteArrayOutputStream();
        new ParamDecoder(store).decode(merged.byName().get("w"), decoded);
        assertThat(inFile).isEqualTo(decoded.toByteArray());
    }

    @Test
    void integerChangedOnBothSidesConflictsUnlessNonFloatChoosesASide() throws IOException {
        Manifest base = manifest(param("steps", DType.I32, 1));
        Manifest ours = manifest(param("steps", DType.I32, 2));
        Manifest theirs = manifest(param("steps", DType.I32, 3));
        MergeResult conflict = merge(MergeConfig.DEFAULT, Optional.of(base), ours, theirs);
        assertThat(conflict.merged()).isEmpty();
        assertThat(report(conflict, "steps").detail())
                .contains("I32 changed on both sides")
                .contains("theta.merge.nonFloat");
        MergeResult chosen = merge(config("nonFloat", "theirs"), Optional.of(base), ours, theirs);
        assertThat(chosen.merged().orElseThrow().params().getFirst())
                .isEqualTo(theirs.params().getFirst());
        assertThat(report(chosen, "steps").action()).isEqualTo(Action.CHOSEN);
    }

    @Test
    void taskVectorsNeedABase() throws IOException {
        Manifest empty = manifest();
        Manifest ours = manifest(param("w", DType.F32, 1, 2));
        Manifest theirs = manifest(param("w", DType.F32, 3, 4));
        MergeResult r = merge(config("strategy", "ties"), Optional.of(empty), ours, theirs);
        assertThat(report(r, "w").detail()).contains("needs the base version").contains("added on both sides");
        MergeResult avg = merge(MergeConfig.DEFAULT, Optional.of(empty), ours, theirs);
        assertThat(report(avg, "w").action()).isEqualTo(Action.MERGED);
    }

    @Test
    void conflictsStopAllArithmeticAndStoreNothing() throws IOException {
        Manifest base = manifest(param("a", DType.F32, 0), param("b", DType.F32, 0));
        Manifest ours = manifest(param("a", DType.F32, 1), param("b", DType.F32, 1));
        Manifest theirs = manifest(param("a", DType.F32, 2), param("b", DType.F32, 2));
        MergeResult r = merge(config("rule", "a fail"), Optional.of(base), ours, theirs);
        assertThat(r.merged()).isEmpty();
        assertThat(r.conflicts()).extracting(ParamReport::name).containsExactly("a");
        assertThat(report(r, "b").detail()).contains("not computed");
    }

    @Test
    void firstMatchingRuleWinsAndOptionsApplyToItOnly() {
        MergeConfig c = config(
                "strategy",
                "dare",
                "seed",
                "5",
                "rule",
                "*head* ours",
                "rule",
                "*.layers.* ties density=0.7",
                "rule",
                "* theirs");
        assertThat(c.strategyFor("lm_head.weight")).isEqualTo(new Pick(Side.OURS));
        assertThat(c.strategyFor("model.layers.3.w")).isEqualTo(new Ties(PerModel.of(0.7), PerModel.of(1)));
        assertThat(c.strategyFor("other")).isEqualTo(new Pick(Side.THEIRS));
        assertThat(c.strategy()).isEqualTo(new Dare(0.5, 5, PerModel.of(1), false));
    }

    /**
     * A merge's result is stored as a delta against whichever of ours, the base and theirs it is nearest, and decodes
     * to the values it has when stored whole.
     */
    @Test
    void theResultIsStoredAgainstWhicheverVersionItIsNearest() throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 1 << 16;
        double[] b = new double[n], o = new double[n], t = new double[n], few = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = 0.02 * rnd.nextGaussian();
            o[i] = b[i] * (1 + 0.01 * rnd.nextGaussian());
            t[i] = b[i] * (1 + 0.01 * rnd.nextGaussian());
            few[i] = i % 64 == 0 ? t[i] : b[i];
        }
        // bf16, whose keyframes compress to about two thirds: a delta and the chain under it fit the raw size
        Manifest base = manifest(param("w", DType.BF16, b));
        Manifest ours = manifest(param("w", DType.BF16, o));
        Manifest theirs = manifest(param("w", DType.BF16, t));
        // TIES keeps a twentieth of each change: the result is the base but for about a tenth of its elements
        MergeConfig ties = config("strategy", "ties", "density", "0.05");
        MergeResult tiesResult = merge(ties, Optional.of(base), ours, theirs);
        ParamEntry nearBase = onlyParam(tiesResult);
        assertThat(nearBase.objects()).hasSize(2);
        assertThat(nearBase.objects().getLast())
                .isEqualTo(base.params().getFirst().object());
        // theirs changes one element in 64: their change added to ours is ours but for those
        MergeConfig sum = config("strategy", "task-arithmetic");
        Manifest sparse = manifest(param("w", DType.BF16, few));
        MergeResult sumResult = merge(sum, Optional.of(base), ours, sparse);
        ParamEntry nearOurs = onlyParam(sumResult);
        assertThat(nearOurs.objects()).hasSize(2);
        assertThat(nearOurs.objects().getLast())
                .isEqualTo(ours.params().getFirst().object());
        // slerp most of the way to theirs
        ParamEntry nearTheirs =
                onlyParam(merge(config("strategy", "slerp", "t", "0.95"), Optional.of(base), ours, theirs));
        assertThat(nearTheirs.objects().getLast())
                .isEqualTo(theirs.params().getFirst().object());

        ParamEncoder deltas = encoder;
        encoder = new ParamEncoder(
                store, Codec.fromConfig("zstd"), new UpdateOptions(Optional.of(UpdateKind.DENSE), Optional.empty(), 8));
        MergeResult whole = merge(ties, Optional.of(base), ours, theirs);
        MergeResult wholeSum = merge(sum, Optional.of(base), ours, sparse);
        encoder = deltas;
        assertThat(onlyParam(whole).objects()).hasSize(1);
        assertThat(bytes(merged(tiesResult, "w"))).isEqualTo(bytes(merged(whole, "w")));
        assertThat(bytes(merged(sumResult, "w"))).isEqualTo(bytes(merged(wholeSum, "w")));
    }

    private static ParamEntry onlyParam(MergeResult r) {
        return r.merged().orElseThrow().params().getFirst();
    }

    private static byte[] bytes(TensorView v) {
        return v.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    /** The merged values of parameter {@code name}, decoded from the store. */
    private TensorView merged(MergeResult r, String name) throws IOException {
        ParamEntry e = r.merged().orElseThrow().byName().get(name);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) e.byteSize()]);
        new ParamDecoder(store).decode(e, seg);
        return new TensorView(seg, e.dtype());
    }

    private double[] values(MergeResult r, String name) throws IOException {
        TensorView v = merged(r, name);
        double[] d = new double[(int) v.count()];
        for (int i = 0; i < d.length; i++) d[i] = v.get(i);
        return d;
    }

    /**
     * Element 0: a NaN on each side (payloads and signs differ, one signalling); 1: a NaN on one side; 2: +inf and
     * -inf, whose sum the processor makes a negative NaN; 3: finite. Which NaN an operation on two passes on depends
     * on how the JIT ordered its operands, so every NaN result is the dtype's one positive quiet NaN.
     */
    @Test
    void everyNaNAMergeComputesIsTheOneQuietNaNWhateverTheInputsNaNs() throws IOException {
        record Case(DType dtype, int[] ours, int[] theirs, int nan, int oneAndAHalf) {}
        List<Case> cases = List.of(
                new Case(
                        DType.F32,
                        new int[] {0x7fa00001, 0x7fc12345, 0x7f800000, 0x3f800000},
                        new int[] {0xffc54321, 0x3f800000, 0xff800000, 0x40000000},
                        0x7fc00000,
                        0x3fc00000),
                new Case(
                        DType.F16,
                        new int[] {0x7d01, 0x7e55, 0x7c00, 0x3c00},
                        new int[] {0xfe21, 0x3c00, 0xfc00, 0x4000},
                        0x7e00,
                        0x3e00),
                new Case(
                        DType.BF16,
                        new int[] {0x7f81, 0x7fc5, 0x7f80, 0x3f80},
                        new int[] {0xffc3, 0x3f80, 0xff80, 0x4000},
                        0x7fc0,
                        0x3fc0));
        for (Case c : cases) {
            for (String strategy : List.of("average", "task-arithmetic")) {
                Manifest base = manifest(param("w", c.dtype(), 0, 0, 0, 0));
                Manifest ours = manifest(bits("w", c.dtype(), c.ours()));
                Manifest theirs = manifest(bits("w", c.dtype(), c.theirs()));
                MergeResult r = merge(config("strategy", strategy, "lambda", "0.5"), Optional.of(base), ours, theirs);
                TensorView v = merged(r, "w");
                long mask = c.dtype().byteWidth() == 4 ? 0xffffffffL : 0xffff;
                long[] got = new long[4];
                for (int i = 0; i < 4; i++) got[i] = v.bits(i) & mask;
                assertThat(got)
                        .as("%s %s", c.dtype(), strategy)
                        .containsExactly(c.nan(), c.nan(), c.nan(), c.oneAndAHalf());
                assertThat(report(r, "w").detail()).contains("result has 3 NaN, 0 infinite");
            }
        }
    }

    @Test
    void scopeAllAppliesTheFormulaToEveryParameterAndChangedKeepsOneSidedChanges() throws IOException {
        Manifest base = manifest(
                param("one", DType.F32, 1, 1),
                param("both", DType.F32, 0, 0),
                param("same", DType.F32, 2, 2),
                param("steps", DType.I32, 1));
        Manifest ours = manifest(
                param("one", DType.F32, 3, -1),
                param("both", DType.F32, 1, 1),
                param("same", DType.F32, 2, 2),
                param("steps", DType.I32, 2),
                param("added", DType.F32, 5));
        Manifest theirs = manifest(
                param("one", DType.F32, 1, 1),
                param("both", DType.F32, 1, 1),
                param("same", DType.F32, 2, 2),
                param("steps", DType.I32, 1));
        MergeResult all = merge(
                config("strategy", "task-arithmetic", "lambda", "0.5", "scope", "all"),
                Optional.of(base),
                ours,
                theirs);
        assertThat(values(all, "one")).containsExactly(2, 0); // 1 + 0.5 (3 - 1), 1 + 0.5 (-1 - 1)
        assertThat(values(all, "both")).containsExactly(1, 1); // 0 + 0.5 + 0.5: base + 2 · 0.5 τ
        assertThat(report(all, "one").action()).isEqualTo(Action.MERGED);
        assertThat(report(all, "same").action()).isEqualTo(Action.UNCHANGED);
        assertThat(report(all, "steps").action()).isEqualTo(Action.OURS);
        assertThat(report(all, "added").action()).isEqualTo(Action.OURS);
        assertThat(all.count(Action.MERGED)).isEqualTo(2);

        MergeResult changed =
                merge(config("strategy", "task-arithmetic", "lambda", "0.5"), Optional.of(base), ours, theirs);
        assertThat(values(changed, "one")).containsExactly(3, -1);
        assertThat(values(changed, "both")).containsExactly(1, 1);
        assertThat(report(changed, "one").action()).isEqualTo(Action.OURS);
        assertThat(changed.count(Action.MERGED)).isZero();

        MergeResult perRule = merge(
                config("strategy", "task-arithmetic", "lambda", "0.5", "rule", "one average scope=all"),
                Optional.of(base),
                ours,
                theirs);
        assertThat(values(perRule, "one")).containsExactly(2, 0);
        assertThat(report(perRule, "both").action()).isEqualTo(Action.OURS);
    }

    @Test
    void scopeAllStillConflictsOnShapeDisagreements() throws IOException {
        Manifest base = manifest(param("w", DType.F32, 1, 1));
        Manifest ours = manifest(param("w", DType.F32, 1, 1, 1));
        Manifest theirs = manifest(param("w", DType.F32, 1, 1));
        assertThat(merge(config("scope", "all"), Optional.of(base), ours, theirs)
                        .conflicts())
                .extracting(ParamReport::name)
                .containsExactly("w");
        assertThat(merge(MergeConfig.DEFAULT, Optional.of(base), ours, theirs).merged())
                .isPresent();
    }

    @Test
    void threeModelsChangedScopeMergesOnlyTheModelsThatChangedAParameterAllScopeMergesAll() throws IOException {
        Manifest base = manifest(param("a", DType.F32, 0, 0), param("b", DType.F32, 0, 0));
        Manifest m0 = manifest(param("a", DType.F32, 0, 0), param("b", DType.F32, 3, 3));
        Manifest m1 = manifest(param("a", DType.F32, 2, 4), param("b", DType.F32, 0, 0));
        Manifest m2 = manifest(param("a", DType.F32, 4, 2), param("b", DType.F32, 0, 0));
        List<FisherSource> none = List.of(FisherSource.none(), FisherSource.none(), FisherSource.none());
        NWayMerge changed = new NWayMerge(
                new ParamDecoder(store),
                encoder,
                config("strategy", "task-arithmetic", "lambda", "1,0.5,0.25"),
                none,
                1 << 20,
                Progress.NONE);
        MergeResult r =
                changed.merge("m.safetensors", Optional.of(base), List.of(m0, m1, m2), List.of("ours", "x", "y"));
        assertThat(values(r, "a")).containsExactly(2 * 0.5 + 4 * 0.25, 4 * 0.5 + 2 * 0.25);
        assertThat(report(r, "a").detail()).isEqualTo("task-arithmetic(lambda=1,0.5,0.25)");
        assertThat(report(r, "b").action()).isEqualTo(Action.OURS);
        assertThat(values(r, "b")).containsExactly(3, 3);

        NWayMerge all = new NWayMerge(
                new ParamDecoder(store),
                encoder,
                config("strategy", "average", "scope", "all"),
                none,
                1 << 20,
                Progress.NONE);
        MergeResult soup =
                all.merge("m.safetensors", Optional.of(base), List.of(m0, m1, m2), List.of("ours", "x", "y"));
        assertThat(values(soup, "a")).containsExactly(2, 2);
        assertThat(values(soup, "b")).containsExactly(1, 1);

        NWayMerge slerp = new NWayMerge(
                new ParamDecoder(store),
                encoder,
                config("strategy", "slerp", "scope", "all"),
                none,
                1 << 20,
                Progress.NONE);
        assertThat(report(
                                slerp.merge(
                                        "m.safetensors",
                                        Optional.of(base),
                                        List.of(m0, m1, m2),
                                        List.of("ours", "x", "y")),
                                "a")
                        .detail())
                .contains("slerp(t=0.5) merges two models, but 3 changed this parameter");
    }

    @Test
    void nonFiniteOptionsAreRefused() {
        for (String bad : new String[] {"NaN", "Infinity", "-Infinity"}) {
            assertThatThrownBy(() -> config("lambda", "1," + bad)).hasMessageContaining("is not a finite number");
            assertThatThrownBy(() -> config("t", bad)).hasMessageContaining("t=" + bad + " is not a finite number");
            assertThatThrownBy(() -> config("rule", "* ties density=" + bad))
                    .hasMessageContaining("not a finite number");
        }
        assertThatThrownBy(() -> config("scope", "some"))
                .hasMessageContaining("merge scope 'some' is not changed or all");
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> config("strategy", "median")).hasMessageContaining("unknown merge strategy 'median'");
        assertThatThrownBy(() -> config("densty", "0.1")).hasMessageContaining("theta.merge.densty");
        assertThatThrownBy(() -> config("lambda", "a")).hasMessageContaining("lambda=a is not a number");
        assertThatThrownBy(() -> config("rule", "*head*")).hasMessageContaining("'<glob> <strategy> [k=v ...]'");
        assertThatThrownBy(() -> config("strategy", "dare", "p", "1")).hasMessageContaining("p 1.0 is not in [0, 1)");
    }
}
