package org.gittheta.merge;

import java.util.List;
import java.util.Optional;
import org.gittheta.manifest.Manifest;

/** The merged manifest, or none when some parameter conflicts; a report line for every parameter either way. */
public record MergeResult(Optional<Manifest> merged, List<ParamReport> params) {
    public MergeResult {
        params = List.copyOf(params);
    }

    public List<ParamReport> conflicts() {
        return params.stream()
                .filter(p -> p.action() == ParamReport.Action.CONFLICT)
                .toList();
    }

    public long count(ParamReport.Action action) {
        return params.stream().filter(p -> p.action() == action).count();
    }
}
