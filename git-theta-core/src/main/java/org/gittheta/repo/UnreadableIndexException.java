package org.gittheta.repo;

import java.io.IOException;
import java.nio.file.Path;

/** Git's index is in a form JGit cannot read: a split index ({@code core.splitIndex}) or a sparse index. */
final class UnreadableIndexException extends IOException {
    UnreadableIndexException(Path index, String reason) {
        super("cannot read git's index " + index + " (" + reason.replaceAll("\\.$", "")
                + "): git-theta reads neither a split index nor a"
                + " sparse index; 'git update-index --no-split-index' or 'git sparse-checkout init --no-sparse-index'"
                + " makes it whole");
    }
}
