package org.gittheta.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.gittheta.diff.StoredSnapshot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Floats;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.FileTrees;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;

/**
 * Decoding a parameter at the end of a delta chain, in process: one bf16 parameter (default 64 MiB) stored
 * dense, then {@code depth} deltas (sparse, XOR and ia3 in turn). Times, min and median of the runs:
 * pushing the top version into a discarding stream (checkout), pulling it as a stream (diff), and storing one
 * more delta (add, which decodes the base first).
 * Usage: {@code DecodeChainBench [MiB] [depth] [runs] [kinds]}, kinds comma-separated labels taken in turn
 * (default {@code sparse,xor-delta,ia3}).
 */
public final class DecodeChainBench {
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private DecodeChainBench() {}

    public static void main(String[] args) throws IOException {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int depth = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        List<UpdateKind> kinds = Arrays.stream((args.length > 3 ? args[3] : "sparse,xor-delta,ia3").split(","))
                .map(k -> UpdateKind.fromLabel(k).orElseThrow())
                .toList();
        long cols = 4096, rows = (long) mib * (1 << 20) / 2 / cols;
        Shape shape = Shape.of(rows, cols);
        Path dir = Files.createTempDirectory("decode-chain-bench");
        ObjectStore store = new ObjectStore(dir.resolve("theta"));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(DType.BF16.byteSize(shape.numel()), 8);
            SplittableRandom rnd = new SplittableRandom(1);
            for (long i = 0; i < shape.numel(); i++) {
                w.setAtIndex(BF16, i, Floats.floatToBf16((float) (0.02 * rnd.nextGaussian())));
            }
            ParamEntry top = new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto())
                    .encode("w", DType.BF16, shape, w, Optional.empty());
            for (int step = 0; step < depth; step++) {
                UpdateKind kind = kinds.get(step % kinds.size());
                change(w, shape, kind, rnd);
                top = new ParamEncoder(store, Codec.ZSTD, new UpdateOptions(Optional.of(kind), Optional.empty(), depth))
                        .encode("w", DType.BF16, shape, w, Optional.of(top));
            }
            System.out.printf(
                    "parameter %d MiB bf16, chain of %d objects (%s on top), store %d MiB%n",
                    mib, top.objects().size(), top.update(), storeBytes(dir) >> 20);
            ParamEntry chain = top;
            ParamDecoder decoder = new ParamDecoder(store);
            Manifest manifest = new Manifest("safetensors", new byte[0], 0, List.of(chain));
            StoredSnapshot snapshot = new StoredSnapshot(manifest, store);
            time("decode to a stream (checkout)", runs, () -> decoder.decode(chain, OutputStream.nullOutputStream()));
            time("read as a stream (diff)", runs, () -> {
                try (InputStream in = snapshot.open("w")) {
                    byte[] buf = new byte[1 << 16];
                    while (in.read(buf) >= 0) {
                        /* discard */
                    }
                }
            });
            change(w, shape, UpdateKind.SPARSE, rnd);
            time(
                    "add one more delta (add)",
                    runs,
                    () -> new ParamEncoder(
                                    store,
                                    Codec.ZSTD,
                                    new UpdateOptions(Optional.of(UpdateKind.SPARSE), Optional.empty(), depth + 1))
                            .encode("w", DType.BF16, shape, w, Optional.of(chain)));
        } finally {
            FileTrees.delete(dir);
        }
    }

    private static void change(MemorySegment w, Shape shape, UpdateKind kind, SplittableRandom rnd) {
        long n = shape.numel(), cols = shape.dims()[1];
        switch (kind) {
            case SPARSE -> {
                for (long i = rnd.nextLong(1000); i < n; i += 1000) scale(w, i, 1.5f);
            }
            case XOR_DELTA -> {
                for (long i = 0; i < n; i++) scale(w, i, (float) (1 + 1e-3 * rnd.nextGaussian()));
            }
            default -> {
                for (long i = 0; i < n; i++) scale(w, i, 1 + (i % cols) * 1e-4f);
            }
        }
    }

    private static void scale(MemorySegment w, long i, float s) {
        w.setAtIndex(BF16, i, Floats.floatToBf16(Floats.bf16ToFloat(w.getAtIndex(BF16, i)) * s));
    }

    private static long storeBytes(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private interface Run {
        void run() throws IOException;
    }

    /** Wall time and the process's CPU time (all threads): on a shared machine the CPU time is the steadier figure. */
    private static void time(String what, int runs, Run r) throws IOException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        r.run(); // warm-up
        long[] ms = new long[runs];
        long[] cpu = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
            cpu[i] = (os.getProcessCpuTime() - c0) / 1_000_000;
        }
        Arrays.sort(ms);
        Arrays.sort(cpu);
        System.out.printf(
                "%-32s wall min %5d median %5d ms, cpu min %5d median %5d ms%n",
                what, ms[0], ms[runs / 2], cpu[0], cpu[runs / 2]);
    }
}
