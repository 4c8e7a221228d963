package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.tensor.TensorView;

/**
 * Lossy low-rank storage, only when the user asks for it ({@code git theta add --update-type low-rank
 * --rank R --lossy}): the change W_new − W_prev of a 2-D float parameter as its rank-R truncated SVD,
 * with no residual. The stored version is then W_prev + B·A rounded to the dtype, not the user's values.
 */
final class LossyLowRank {
    /** Manifest attribute of a lossily stored parameter. */
    static final String ATTRIBUTE = ParamEntry.LOSSY;

    private LossyLowRank() {}

    static String attributeValue(int rank) {
        return "svd-r" + rank;
    }

    /**
     * The factors of the change, or empty where the parameter is stored exactly instead: not a 2-D float
     * matrix, rank-R factors (float32) not smaller than the dense values, or a non-finite element.
     */
    static Optional<Reconstruction.LowRank> fit(
            MemorySegment values, MemorySegment prev, DType t, Shape shape, int rank) {
        if (shape.rank() != 2 || !TensorView.writable(t)) return Optional.empty();
        long rows = shape.dims()[0], cols = shape.dims()[1];
        if (rank >= Math.min(rows, cols)
                || rank * (rows + cols) * 4 >= t.byteSize(rows * cols)
                || rows > Integer.MAX_VALUE
                || cols > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        TensorView news = new TensorView(values, t), prevs = new TensorView(prev, t);
        for (long e = 0; e < rows * cols; e++) {
            if (!Double.isFinite(news.get(e)) || !Double.isFinite(prevs.get(e))) return Optional.empty();
        }
        TruncatedSvd.Factors f = TruncatedSvd.of(
                new TruncatedSvd.Matrix() {
                    @Override
                    public int rows() {
                        return (int) rows;
                    }

                    @Override
                    public int cols() {
                        return (int) cols;
                    }

                    @Override
                    public void row(int i, int from, int to, double[] into) {
                        long at = i * cols;
                        for (int j = from; j < to; j++) into[j - from] = news.get(at + j) - prevs.get(at + j);
                    }
                },
                rank);
        return Optional.of(
                new Reconstruction.LowRank(rank, rows, cols, 1f, toFloats(f.left()), toFloats(f.right()), false));
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
