package org.gittheta.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.gittheta.config.Settings;
import org.gittheta.repo.PromisedBlobs;

/**
 * Fetches the blobs a partial clone left out as git's own lazy fetch does (promisor-remote.c): all of them in one
 * {@code git fetch} from a promisor remote, the next one asked if that fails. A repository with no promisor remote is
 * no partial clone, and nothing is run.
 */
final class GitPromisedBlobs implements PromisedBlobs {
    private final Path dir;
    private final Settings settings;

    GitPromisedBlobs(Path dir, Settings settings) {
        this.dir = dir;
        this.settings = settings;
    }

    @Override
    public void fetch(Collection<String> blobs) throws IOException {
        StringBuilder wanted = new StringBuilder();
        for (String blob : blobs) wanted.append(blob).append('\n');
        List<String> failures = new ArrayList<>();
        for (String remote : settings.promisorRemotes()) {
            Git.Raw r = Git.exec(
                    dir,
                    Map.of(),
                    wanted.toString().getBytes(StandardCharsets.US_ASCII),
                    "-c",
                    "fetch.negotiationAlgorithm=noop",
                    "fetch",
                    remote,
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--recurse-submodules=no",
                    "--filter=blob:none",
                    "--stdin");
            if (r.exit() == 0) return;
            failures.add("git fetch " + remote + ": "
                    + r.err().strip().lines().findFirst().orElse("failed"));
        }
        if (!failures.isEmpty()) throw new IOException(String.join("; ", failures));
    }
}
