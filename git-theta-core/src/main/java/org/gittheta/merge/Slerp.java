package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/**
 * Spherical linear interpolation from ours (t = 0) to theirs (t = 1), treating each parameter as one vector:
 * with Ω the angle between them, θ = sin((1−t)Ω)/sin Ω · θ_ours + sin(tΩ)/sin Ω · θ_theirs. When the vectors
 * are nearly colinear (|cos Ω| > 0.9995) or one is zero, linear interpolation (1−t) θ_ours + t θ_theirs.
 */
public record Slerp(double t) implements MergeStrategy.Arithmetic {
    static final double COLINEAR = 0.9995;

    @Override
    public String describe() {
        return "slerp(t=" + t + ")";
    }

    @Override
    public String merge(MergeInput in, TensorView out) {
        if (in.models().size() != 2) {
            throw new IllegalArgumentException(
                    in.name() + ": slerp merges two models, not " + in.models().size());
        }
        TensorView a = in.values(0);
        TensorView b = in.values(1);
        long n = in.size();
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (long i = 0; i < n; i++) {
            double x = a.get(i);
            double y = b.get(i);
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        double cos = na == 0 || nb == 0 ? 1 : dot / Math.sqrt(na * nb);
        double s0;
        double s1;
        String note = "";
        if (Math.abs(cos) > COLINEAR) {
            s0 = 1 - t;
            s1 = t;
            note = "nearly colinear: linear interpolation";
        } else {
            double omega = Math.acos(cos);
            double sin = Math.sin(omega);
            s0 = Math.sin((1 - t) * omega) / sin;
            s1 = Math.sin(t * omega) / sin;
        }
        for (long i = 0; i < n; i++) out.set(i, s0 * a.get(i) + s1 * b.get(i));
        return note;
    }
}
