package org.gittheta.repo;

import java.io.IOException;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;

/** A blob git's object database lacks, and git could not fetch: a partial clone whose remote is out of reach, or damage. */
final class MissingBlobException extends IOException {
    MissingBlobException(ObjectId blob, Optional<String> whyNotFetched) {
        super("git's object database lacks blob " + blob.name()
                + whyNotFetched
                        .map(why -> " and git could not fetch it (" + why + ")")
                        .orElse(""));
    }

    private MissingBlobException(String message, MissingBlobException cause) {
        super(message, cause);
    }

    /** The same, naming the file whose blob it is and where: a commit, the index. */
    MissingBlobException of(String path, String where) {
        return new MissingBlobException(path + " in " + where + ": " + getMessage(), this);
    }
}
