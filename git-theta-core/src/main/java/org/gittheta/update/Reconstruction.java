package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.gittheta.store.CorruptObjectException;
import org.gittheta.store.ObjectFormat;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;

/**
 * A structured guess of the new values from the previous ones (low-rank product, ia3 scaling). The
 * object stores the guess's parameters plus the exact XOR residual between the new values and the
 * guess rounded to the dtype, so checkout is byte-identical whatever the guess missed.
 */
sealed interface Reconstruction permits Reconstruction.LowRank, Reconstruction.Ia3 {
    UpdateKind kind();

    /** Small header parameters of the object. */
    byte[] params();

    /** The guess's own sections, stored before the residual. */
    List<byte[]> sections();

    /** The dtypes reconstructed in float32 arithmetic, in a fixed order: encoder and decoder agree bit for bit. */
    static boolean appliesTo(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** Whether the exact XOR residual follows the guess's sections; only lossy truncated SVD stores none. */
    default boolean residual() {
        return true;
    }

    /** Writes into {@code out} the guess for elements {@code [first, first + count)} from the same elements of {@code
     * prev}. */
    void apply(MemorySegment prev, MemorySegment out, DType t, long first, long count);

    /** Rows and columns of a parameter viewed as a matrix: the first dimension against all the rest. */
    static long[] matrix(org.gittheta.tensor.Shape shape) {
        long rows = shape.rank() == 0 ? 1 : shape.dims()[0];
        return new long[] {rows, rows == 0 ? 0 : shape.numel() / rows};
    }

    /** Reads the guess back from an object of its kind. */
    static Reconstruction read(UpdateKind kind, ObjectFormat.Reader r) throws java.io.IOException {
        ByteBuffer p = ByteBuffer.wrap(r.header().params()).order(ByteOrder.LITTLE_ENDIAN);
        long[] m = matrix(r.header().shape());
        try {
            return switch (kind) {
                case LOW_RANK -> {
                    float scale = p.getFloat();
                    int rank = p.getInt();
                    boolean lossy = p.hasRemaining();
                    if (lossy && p.get() != LowRank.LOSSY) throw new IllegalArgumentException("unknown low-rank flag");
                    float[] left = f32(r.readSectionFully(0)), rightT = f32(r.readSectionFully(1));
                    yield new LowRank(rank, m[0], m[1], scale, left, rightT, !lossy);
                }
                case IA3 -> new Ia3(p.get(), m[0], m[1], f32(r.readSectionFully(0)));
                default -> throw new IllegalArgumentException(kind + " is not a reconstruction");
            };
        } catch (RuntimeException e) {
            throw new CorruptObjectException(
                    r.id(), kind.label() + " parameters do not fit the shape: " + e.getMessage());
        }
    }

    private static float[] f32(byte[] section) {
        return new TensorView(MemorySegment.ofArray(section), DType.F32).toFloatArray();
    }

    /**
     * W_new ≈ W_prev + scale * left @ rightT^T, left: rows × rank, rightT: cols × rank (both row-major),
     * summed over k in order in float32 (the sum then added in double for F64).
     *
     * @param residual false for lossy truncated SVD: the object holds the factors only, and checkout
     *                 yields the guess itself
     */
    record LowRank(int rank, long rows, long cols, float scale, float[] left, float[] rightT, boolean residual)
            implements Reconstruction {
        /** Header flag byte after scale and rank; exact objects omit it (their headers predate it). */
        static final byte LOSSY = 1;

        public LowRank {
            if (rank <= 0 || left.length != rows * rank || rightT.length != cols * rank) {
                throw new IllegalArgumentException("rank " + rank + " factors of " + left.length + " and "
                        + rightT.length + " values do not fit a " + rows + " x " + cols + " matrix");
            }
        }

        @Override
        public UpdateKind kind() {
            return UpdateKind.LOW_RANK;
        }

        /** The same factors followed by the exact residual. */
        LowRank withResidual() {
            return new LowRank(rank, rows, cols, scale, left, rightT, true);
        }

        @Override
        public byte[] params() {
            ByteBuffer b = ByteBuffer.allocate(residual ? 8 : 9)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(scale)
                    .putInt(rank);
            if (!residual) b.put(LOSSY);
            return b.array();
        }

        @Override
        public List<byte[]> sections() {
            return List.of(TensorView.f32Bytes(left), TensorView.f32Bytes(rightT));
        }

        @Override
        public void apply(MemorySegment prev, MemorySegment out, DType t, long first, long count) {
            TensorView p = new TensorView(prev, t), o = new TensorView(out, t);
            for (long i = 0; i < count; i++) {
                long e = first + i;
                int lo = (int) (e / cols) * rank;
                int ro = (int) (e % cols) * rank;
                float dot = 0f;
                for (int k = 0; k < rank; k++) dot += left[lo + k] * rightT[ro + k];
                if (t == DType.F64) o.set(i, p.get(i) + (double) (scale * dot));
                else o.setFloat(i, p.getFloat(i) + scale * dot);
            }
        }
    }

    /** W_new ≈ W_prev * v, v along the rows (axis 0, one factor per row) or the columns (axis 1). */
    record Ia3(int axis, long rows, long cols, float[] v) implements Reconstruction {
        public Ia3 {
            if ((axis != 0 && axis != 1) || v.length != (axis == 0 ? rows : cols)) {
                throw new IllegalArgumentException("ia3 vector of " + v.length + " along axis " + axis
                        + " does not fit a " + rows + " x " + cols + " matrix");
            }
        }

        @Override
        public UpdateKind kind() {
            return UpdateKind.IA3;
        }

        @Override
        public byte[] params() {
            return new byte[] {(byte) axis};
        }

        @Override
        public List<byte[]> sections() {
            return List.of(TensorView.f32Bytes(v));
        }

        @Override
        public void apply(MemorySegment prev, MemorySegment out, DType t, long first, long count) {
            TensorView p = new TensorView(prev, t), o = new TensorView(out, t);
            for (long i = 0; i < count; i++) {
                long e = first + i;
                float s = v[(int) (axis == 0 ? e / cols : e % cols)];
                o.setFloat(i, p.getFloat(i) * s);
            }
        }

        /**
         * Least-squares factors along {@code axis} from the elements of the given rows (all rows when
         * {@code rowStep} is 1): v = Σ new·prev / Σ prev², 1 where the previous values are all zero.
         */
        static Ia3 fit(
                MemorySegment values, MemorySegment prev, DType t, long rows, long cols, int axis, long rowStep) {
            double[] num = new double[(int) (axis == 0 ? rows : cols)];
            double[] den = new double[num.length];
            TensorView prevs = new TensorView(prev, t), news = new TensorView(values, t);
            for (long r = 0; r < rows; r += rowStep) {
                for (long c = 0; c < cols; c++) {
                    long e = r * cols + c;
                    float p = prevs.getFloat(e);
                    float n = news.getFloat(e);
                    if (!Float.isFinite(p) || !Float.isFinite(n)) continue;
                    int k = (int) (axis == 0 ? r : c);
                    num[k] += (double) n * p;
                    den[k] += (double) p * p;
                }
            }
            float[] v = new float[num.length];
            for (int k = 0; k < v.length; k++) v[k] = den[k] == 0 ? 1f : (float) (num[k] / den[k]);
            return new Ia3(axis, rows, cols, v);
        }
    }
}
