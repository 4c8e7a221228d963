package org.gittheta.merge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.gittheta.manifest.Manifest;

/** What a merge reads from history: files as they were committed at a revision. */
public interface CommittedFiles {
    /** The manifest committed at {@code rev:path}; empty when the path is absent there or holds another file. */
    Optional<Manifest> manifest(String rev, String path) throws IOException;

    /** Copies the file committed at {@code rev:path} to {@code target}; false when the path is absent there. */
    boolean copy(String rev, String path, Path target) throws IOException;
}
