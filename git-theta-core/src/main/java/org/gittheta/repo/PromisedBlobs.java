package org.gittheta.repo;

import java.io.IOException;
import java.util.Collection;

/**
 * Where the blobs a partial clone ({@code git clone --filter=blob:none}) left out come from: the remote that promised
 * them, which only git itself can ask (its transports, its credentials). The command line answers by running git.
 */
@FunctionalInterface
public interface PromisedBlobs {
    /** Asks no one: for a reader that must not start git. A blob git lacks is then reported missing. */
    PromisedBlobs NONE = blobs -> {};

    /**
     * Brings these blobs (hex ids) into git's object database, all in one request; returns without doing anything
     * where the repository is no partial clone.
     * @throws IOException saying why git could not fetch them
     */
    void fetch(Collection<String> blobs) throws IOException;
}
