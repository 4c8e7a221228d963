package org.gittheta.diff;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;

/**
 * How one parameter's values moved between two versions with the same number of elements, element by element
 * in file order (Δ = new − old, computed in double).
 *
 * @param elements number of elements compared
 * @param changed  elements whose raw bits differ (same dtype) or whose values differ (dtype changed)
 * @param l2       ‖Δ‖₂
 * @param maxAbs   max |Δ|
 * @param oldNorm  ‖old‖₂
 * @param newNorm  ‖new‖₂
 * @param dot      ⟨old, new⟩
 */
public record DeltaStats(
        long elements, long changed, double l2, double maxAbs, double oldNorm, double newNorm, double dot) {
    /** Elements per chunk: memory stays at a few MiB however large the parameter. */
    static final int CHUNK = 1 << 16;

    /** ‖Δ‖ / ‖old‖; NaN when the old values are all zero. */
    public double relative() {
        return oldNorm == 0 ? Double.NaN : l2 / oldNorm;
    }

    /** cos(old, new); NaN when either side is all zero. */
    public double cosine() {
        return oldNorm == 0 || newNorm == 0 ? Double.NaN : dot / (oldNorm * newNorm);
    }

    /**
     * Streams both sides chunk by chunk. Empty when a dtype has no numeric reading (packed sub-byte, complex).
     *
     * @throws IOException when a side ends early or cannot be read
     */
    public static Optional<DeltaStats> compute(
            long elements, DType oldType, InputStream oldValues, DType newType, InputStream newValues)
            throws IOException {
        if (!TensorView.readable(oldType) || !TensorView.readable(newType)) return Optional.empty();
        boolean sameType = oldType == newType;
        int wo = oldType.byteWidth();
        int wn = newType.byteWidth();
        byte[] bufOld = new byte[CHUNK * wo];
        byte[] bufNew = new byte[CHUNK * wn];
        TensorView vo = new TensorView(MemorySegment.ofArray(bufOld), oldType);
        TensorView vn = new TensorView(MemorySegment.ofArray(bufNew), newType);
        double[] olds = new double[CHUNK];
        double[] news = new double[CHUNK];
        long[] oldBits = new long[sameType ? CHUNK : 0];
        long[] newBits = new long[sameType ? CHUNK : 0];
        long changed = 0;
        double sumSq = 0, maxAbs = 0, oldSq = 0, newSq = 0, dot = 0;
        for (long done = 0; done < elements; ) {
            int k = (int) Math.min(CHUNK, elements - done);
            readFully(oldValues, bufOld, k * wo, "old");
            readFully(newValues, bufNew, k * wn, "new");
            vo.get(0, olds, k);
            vn.get(0, news, k);
            if (sameType) {
                vo.bits(0, oldBits, k);
                vn.bits(0, newBits, k);
            }
            for (int i = 0; i < k; i++) {
                double a = olds[i];
                double b = news[i];
                boolean differs = sameType ? oldBits[i] != newBits[i] : Double.compare(a, b) != 0;
                if (!differs) {
                    oldSq += a * a;
                    newSq += a * a;
                    dot += a * a;
                    continue;
                }
                changed++;
                double d = b - a;
                sumSq += d * d;
                maxAbs = Math.max(maxAbs, Math.abs(d));
                oldSq += a * a;
                newSq += b * b;
                dot += a * b;
            }
            done += k;
        }
        return Optional.of(
                new DeltaStats(elements, changed, Math.sqrt(sumSq), maxAbs, Math.sqrt(oldSq), Math.sqrt(newSq), dot));
    }

    private static void readFully(InputStream in, byte[] buf, int len, String side) throws IOException {
        int n = in.readNBytes(buf, 0, len);
        if (n < len) throw new IOException("the " + side + " values ended early");
    }
}
