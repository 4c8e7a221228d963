package org.gittheta.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TruncatedSvdTest {
    private final SplittableRandom rnd = new SplittableRandom(5);

    @Test
    void recoversAMatrixOfExactlyTheRequestedRank() {
        int rows = 120, cols = 80, rank = 8;
        double[][] u = gaussian(rows, rank), v = gaussian(cols, rank);
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) for (int k = 0; k < rank; k++) m[i][j] += u[i][k] * v[j][k] * (k + 1);
        TruncatedSvd.Factors f = TruncatedSvd.of(matrix(m), rank);
        assertThat(error(m, f) / frobenius(m)).isLessThan(1e-5);
        double[] sigma = f.singular();
        for (int k = 1; k < rank; k++) assertThat(sigma[k]).isLessThanOrEqualTo(sigma[k - 1]);
    }

    @Test
    void aRandomMatrixIsApproximatedNearlyAsWellAsTheOptimalTruncation() {
        int rows = 70, cols = 50, rank = 8;
        double[][] m = gaussian(rows, cols);
        // a decaying spectrum on top of noise, like a fine-tune's change
        double[][] u = gaussian(rows, rank), v = gaussian(cols, rank);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) for (int k = 0; k < rank; k++) m[i][j] += u[i][k] * v[j][k] * 2.0 / (k + 1);
        double[] reference = singularValues(m);
        double optimal = 0;
        for (int k = rank; k < reference.length; k++) optimal += reference[k] * reference[k];
        TruncatedSvd.Factors f = TruncatedSvd.of(matrix(m), rank);
        assertThat(error(m, f)).isLessThan(1.05 * Math.sqrt(optimal));
        for (int k = 0; k < rank; k++)
            assertThat(f.singular()[k]).isCloseTo(reference[k], org.assertj.core.data.Percentage.withPercentage(5));
    }

    @Test
    void aMatrixOfLowerRankThanAskedGivesZeroTrailingFactors() {
        double[][] u = gaussian(30, 1), v = gaussian(20, 1);
        double[][] m = new double[30][20];
        for (int i = 0; i < 30; i++) for (int j = 0; j < 20; j++) m[i][j] = u[i][0] * v[j][0];
        TruncatedSvd.Factors f = TruncatedSvd.of(matrix(m), 4);
        assertThat(error(m, f) / frobenius(m)).isLessThan(1e-9);
        assertThat(f.singular()[1]).isLessThan(1e-9 * f.singular()[0]);
    }

    private double[][] gaussian(int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] r : a) for (int j = 0; j < cols; j++) r[j] = rnd.nextGaussian();
        return a;
    }

    private static TruncatedSvd.Matrix matrix(double[][] m) {
        return new TruncatedSvd.Matrix() {
            @Override
            public int rows() {
                return m.length;
            }

            @Override
            public int cols() {
                return m[0].length;
            }

            @Override
            public void row(int i, int from, int to, double[] into) {
                System.arraycopy(m[i], from, into, 0, to - from);
            }
        };
    }

    /** ‖M − left · rightᵀ‖_F */
    private static double error(double[][] m, TruncatedSvd.Factors f) {
        int r = f.rank();
        double s = 0;
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                double a = m[i][j];
                for (int k = 0; k < r; k++) a -= f.left()[i * r + k] * f.right()[j * r + k];
                s += a * a;
            }
        }
        return Math.sqrt(s);
    }

    private static double frobenius(double[][] m) {
        return Math.sqrt(
                Arrays.stream(m).flatMapToDouble(Arrays::stream).map(x -> x * x).sum());
    }

    /** Slow reference: singular values as square roots of the eigenvalues of MᵀM, by cyclic Jacobi rotations;
     * decreasing. */
    private static double[] singularValues(double[][] m) {
        int n = m[0].length;
        double[][] a = new double[n][n];
        for (double[] row : m) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i][j] += row[i] * row[j];
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
            if (off < 1e-22) break;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) { // A ← Jᵀ A J: columns, then rows
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                }
            }
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.sqrt(Math.max(0, a[i][i]));
        Arrays.sort(s);
        for (int i = 0; i < n / 2; i++) {
            double t = s[i];
            s[i] = s[n - 1 - i];
            s[n - 1 - i] = t;
        }
        return s;
    }
}
