package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.gittheta.progress.Progress;
import org.gittheta.store.Ordered;

/**
 * Compares two versions parameter by parameter, in parallel. Parameters with equal value hashes are unchanged
 * without reading any values; the others are streamed side by side (see {@link DeltaStats}).
 */
public final class CheckpointDiffer {
    private CheckpointDiffer() {}

    public static CheckpointDiff diff(Snapshot before, Snapshot after) throws IOException {
        return diff(before, after, name -> true, Progress.NONE, "");
    }

    /**
     * Only the parameters {@code include} accepts: the others are neither read nor reported.
     * @param label what {@code progress} calls the work: each parameter's bytes count as it is compared
     */
    public static CheckpointDiff diff(
            Snapshot before, Snapshot after, Predicate<String> include, Progress progress, String label)
            throws IOException {
        TreeSet<String> names = new TreeSet<>(before.params().keySet());
        names.addAll(after.params().keySet());
        names.removeIf(include.negate());
        List<String> ordered = List.copyOf(names);
        long[] bytes = ordered.stream()
                .mapToLong(n -> Math.max(byteSize(before, n), byteSize(after, n)))
                .toArray();
        List<ParamDiff> out = new ArrayList<>(ordered.size());
        try (Progress.Task task = progress.start(label, LongStream.of(bytes).sum())) {
            Ordered.run(
                    ordered.size(),
                    i -> {
                        ParamDiff d = compare(ordered.get(i), before, after);
                        task.advance(bytes[i]);
                        return d;
                    },
                    out::add);
        }
        Optional<Skeleton> a = before.skeleton();
        Optional<Skeleton> b = after.skeleton();
        return new CheckpointDiff(
                out, a.isPresent() && b.isPresent() && !a.get().sameAs(b.get()));
    }

    private static long byteSize(Snapshot side, String name) {
        ParamInfo p = side.params().get(name);
        return p == null ? 0 : p.byteSize();
    }

    static ParamDiff compare(String name, Snapshot before, Snapshot after) throws IOException {
        Optional<ParamInfo> a = Optional.ofNullable(before.params().get(name));
        Optional<ParamInfo> b = Optional.ofNullable(after.params().get(name));
        if (a.isEmpty()) return new ParamDiff(name, ParamDiff.Status.ADDED, a, b, Optional.empty());
        if (b.isEmpty()) return new ParamDiff(name, ParamDiff.Status.REMOVED, a, b, Optional.empty());
        ParamInfo x = a.get();
        ParamInfo y = b.get();
        boolean sameForm = x.dtype() == y.dtype() && x.shape().equals(y.shape());
        if (sameForm && before.sha256(name).equals(after.sha256(name))) {
            return new ParamDiff(name, ParamDiff.Status.UNCHANGED, a, b, Optional.empty());
        }
        Optional<DeltaStats> stats = Optional.empty();
        if (x.numel() == y.numel()) {
            try (InputStream va = before.open(name);
                    InputStream vb = after.open(name)) {
                stats = DeltaStats.compute(x.numel(), x.dtype(), va, y.dtype(), vb);
            } catch (IOException e) {
                throw new IOException("parameter '" + name + "': " + e.getMessage(), e);
            }
        }
        return new ParamDiff(name, ParamDiff.Status.MODIFIED, a, b, stats);
    }
}
