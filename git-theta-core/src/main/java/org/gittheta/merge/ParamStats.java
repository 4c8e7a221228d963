package org.gittheta.merge;

import java.util.ArrayList;
import java.util.List;
import org.gittheta.tensor.TensorView;

/**
 * The numbers people look at before merging a parameter: the norm of each model's task vector τ_j = θ_j − θ_base,
 * the mean cosine between pairs of them, the fraction of elements where the non-zero τ_j disagree in sign, and the
 * norms of the result and of its task vector. Without a base, the τ figures are NaN.
 */
public record ParamStats(
        List<Double> tauNorms, double cosine, double signConflicts, double resultNorm, double resultTauNorm) {
    public ParamStats {
        tauNorms = List.copyOf(tauNorms);
    }

    static ParamStats of(MergeInput in, TensorView result) {
        int m = in.models().size();
        long n = in.size();
        double[][] dot = new double[m][m];
        double[] tau = new double[m];
        long conflicts = 0;
        double resultNorm = 0;
        double resultTau = 0;
        TensorView base = in.base().orElse(null);
        for (long i = 0; i < n; i++) {
            double b = base == null ? Double.NaN : base.get(i);
            boolean positive = false;
            boolean negative = false;
            for (int j = 0; j < m; j++) {
                tau[j] = in.values(j).get(i) - b;
                positive |= tau[j] > 0;
                negative |= tau[j] < 0;
                for (int k = 0; k <= j; k++) dot[k][j] += tau[k] * tau[j];
            }
            if (positive && negative) conflicts++;
            double r = result.get(i);
            resultNorm += r * r;
            resultTau += (r - b) * (r - b);
        }
        double cos = 0;
        for (int j = 0; j < m; j++) for (int k = j + 1; k < m; k++) cos += dot[j][k] / Math.sqrt(dot[j][j] * dot[k][k]);
        List<Double> norms = new ArrayList<>();
        for (int j = 0; j < m; j++) norms.add(Math.sqrt(dot[j][j]));
        double fraction = in.base().isEmpty() ? Double.NaN : n == 0 ? 0 : (double) conflicts / n;
        return new ParamStats(norms, cos / (m * (m - 1) / 2.0), fraction, Math.sqrt(resultNorm), Math.sqrt(resultTau));
    }
}
