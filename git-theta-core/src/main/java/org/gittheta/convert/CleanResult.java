package org.gittheta.convert;

import java.util.Optional;

/**
 * What clean did with one file, for the caller to tell the user.
 * @param storedWhole why the file was stored whole (one object, as git-lfs would) instead of per parameter
 */
public record CleanResult(Optional<String> storedWhole) {
    static final CleanResult SPLIT = new CleanResult(Optional.empty());
}
