package org.gittheta.update;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * Rank-r truncated SVD by randomized subspace iteration (Halko, Martinsson, Tropp 2011, algorithm 4.4):
 * a Gaussian sketch of r + {@link #OVERSAMPLE} columns, {@link #POWER_ITERATIONS} power iterations
 * re-orthonormalised by Gram–Schmidt, then a one-sided Jacobi SVD of the small projected matrix.
 * The matrix is only read row by row (a 4096 × 11008 delta would be 360 MB as doubles); the sketch has a
 * fixed seed and every sum a fixed order, so the same matrix always gives the same factors.
 */
final class TruncatedSvd {
    static final int OVERSAMPLE = 8;
    static final int POWER_ITERATIONS = 2;
    private static final long SEED = 0x5eed_5fd0L;
    /** Rows (or columns) per parallel task. */
    private static final int BLOCK = 64;

    private static final int MAX_SWEEPS = 60;

    private TruncatedSvd() {}

    /** A rows × cols matrix, read a row at a time. */
    interface Matrix {
        int rows();

        int cols();

        /** Writes elements {@code [from, to)} of row {@code i} to {@code into[0, to - from)}. */
        void row(int i, int from, int to, double[] into);
    }

    /**
     * M ≈ left · rightᵀ, singular values in decreasing order.
     *
     * @param left     rows × rank, row-major: the left singular vectors scaled by the singular values
     * @param right    cols × rank, row-major: the right singular vectors
     * @param singular the rank largest singular values
     */
    record Factors(int rank, double[] left, double[] right, double[] singular) {}

    /** The rank-{@code rank} approximation; {@code rank} must not exceed the smaller dimension. */
    static Factors of(Matrix m, int rank) {
        int rows = m.rows(), cols = m.cols();
        if (rank <= 0 || rank > Math.min(rows, cols)) {
            throw new IllegalArgumentException("rank " + rank + " does not fit a " + rows + " x " + cols + " matrix");
        }
        int p = Math.min(rank + OVERSAMPLE, Math.min(rows, cols));
        Random rnd = new Random(SEED);
        double[][] omega = new double[p][cols];
        for (double[] column : omega) for (int j = 0; j < cols; j++) column[j] = rnd.nextGaussian();
        double[][] q = orthonormalize(times(m, omega));
        for (int it = 0; it < POWER_ITERATIONS; it++)
            q = orthonormalize(times(m, orthonormalize(transposeTimes(m, q))));
        // Z = Mᵀ Q, so M ≈ Q Zᵀ; Jacobi makes Z's columns orthogonal: Z W = V Σ, hence M ≈ (Q W) Σ Vᵀ
        double[][] z = transposeTimes(m, q);
        double[][] w = new double[p][p];
        for (int k = 0; k < p; k++) w[k][k] = 1;
        jacobi(z, w);
        double[] sigma = new double[p];
        for (int k = 0; k < p; k++) sigma[k] = Math.sqrt(dot(z[k], z[k]));
        Integer[] order = IntStream.range(0, p)
                .boxed()
                .sorted((a, b) -> Double.compare(sigma[b], sigma[a]))
                .toArray(Integer[]::new);
        double[] left = new double[rows * rank], right = new double[cols * rank], singular = new double[rank];
        for (int k = 0; k < rank; k++) {
            int c = order[k];
            singular[k] = sigma[c];
            // U Σ column = Q (W column) · σ; V column = Z column / σ, so U Σ Vᵀ column-wise is Q W_c z_cᵀ
            for (int i = 0; i < rows; i++) {
                double u = 0;
                for (int j = 0; j < p; j++) u += q[j][i] * w[c][j];
                left[i * rank + k] = u * sigma[c];
            }
            for (int j = 0; j < cols; j++) right[j * rank + k] = sigma[c] == 0 ? 0 : z[c][j] / sigma[c];
        }
        return new Factors(rank, left, right, singular);
    }

    /** M X for X given as columns of length cols; the result as columns of length rows. */
    private static double[][] times(Matrix m, double[][] x) {
        int rows = m.rows(), cols = m.cols(), p = x.length;
        double[][] y = new double[p][rows];
        IntStream.range(0, (rows + BLOCK - 1) / BLOCK).parallel().forEach(b -> {
            double[] row = new double[cols];
            for (int i = b * BLOCK; i < Math.min(rows, (b + 1) * BLOCK); i++) {
                m.row(i, 0, cols, row);
                for (int k = 0; k < p; k++) y[k][i] = dot(row, x[k]);
            }
        });
        return y;
    }

    /** Mᵀ Q for Q given as columns of length rows; each task owns a range of columns of M, summing over rows in order.
     */
    private static double[][] transposeTimes(Matrix m, double[][] q) {
        int rows = m.rows(), cols = m.cols(), p = q.length;
        double[][] z = new double[p][cols];
        IntStream.range(0, (cols + BLOCK - 1) / BLOCK).parallel().forEach(b -> {
            int from = b * BLOCK, to = Math.min(cols, from + BLOCK);
            double[] part = new double[to - from];
            for (int i = 0; i < rows; i++) {
                m.row(i, from, to, part);
                for (int k = 0; k < p; k++) {
                    double s = q[k][i];
                    if (s == 0) continue;
                    double[] zk = z[k];
                    for (int j = from; j < to; j++) zk[j] += part[j - from] * s;
                }
            }
        });
        return z;
    }

    /**
     * Modified Gram–Schmidt, twice over ("twice is enough") for orthogonality to working precision.
     * A column that vanishes against the previous ones (the matrix has lower rank) becomes zero.
     */
    private static double[][] orthonormalize(double[][] a) {
        for (int k = 0; k < a.length; k++) {
            double before = Math.sqrt(dot(a[k], a[k]));
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < k; j++) axpy(-dot(a[j], a[k]), a[j], a[k]);
            }
            double norm = Math.sqrt(dot(a[k], a[k]));
            double scale = norm <= 1e-10 * before ? 0 : 1 / norm;
            for (int i = 0; i < a[k].length; i++) a[k][i] *= scale;
        }
        return a;
    }

    /** One-sided (Hestenes) Jacobi: rotates pairs of columns of {@code z} until orthogonal, applying the same rotations
     * to {@code w}. */
    private static void jacobi(double[][] z, double[][] w) {
        int p = z.length;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int a = 0; a < p - 1; a++) {
                for (int b = a + 1; b < p; b++) {
                    double alpha = dot(z[a], z[a]), beta = dot(z[b], z[b]), gamma = dot(z[a], z[b]);
                    if (gamma == 0 || Math.abs(gamma) <= 1e-14 * Math.sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t), s = c * t;
                    rotate(z[a], z[b], c, s);
                    rotate(w[a], w[b], c, s);
                }
            }
            if (!rotated) return;
        }
    }

    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    /** y += a x */
    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) y[i] += a * x[i];
    }
}
