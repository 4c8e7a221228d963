package org.gittheta.merge;

import org.gittheta.tensor.TensorView;

/** θ = (θ_ours + θ_theirs) / 2. */
public record Average() implements MergeStrategy.Arithmetic {
    @Override public String describe() { return "average"; }

    @Override public boolean needsBase() { return false; }

    @Override public String merge(MergeInput in, TensorView out) {
        TensorView a = in.ours();
        TensorView b = in.theirs();
        for (long i = 0, n = in.size(); i < n; i++) out.set(i, (a.get(i) + b.get(i)) * 0.5);
        return "";
    }
}
