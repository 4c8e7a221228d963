package org.gittheta.repo;

import java.util.List;
import java.util.Optional;

/**
 * What {@code fsck} found.
 * @param objectsChecked objects whose bytes were hashed and whose container was read
 * @param paramsDecoded  distinct parameter versions whose values were rebuilt and compared with the manifest
 */
public record FsckReport(int objectsChecked, int paramsDecoded, List<Problem> problems) {
    public FsckReport {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    /** What is wrong with a stored object or the manifest that uses it. */
    public enum Kind {
        /** a manifest that does not parse: the objects it needs are unknown */
        BAD_MANIFEST,
        MISSING,
        /** the bytes do not hash to the object's name (moved aside) */
        CORRUPT,
        /** the name matches but the container's header or checksums are invalid */
        BAD_CONTAINER,
        /** the parameter's values cannot be rebuilt, or do not hash to the manifest's sha256 */
        UNDECODABLE
    }

    /**
     * @param object  the object's id (empty for a bad manifest)
     * @param use     the first place found that uses it; empty for an object nothing references ({@code --all})
     * @param movedTo where a corrupt object was moved
     */
    public record Problem(
            Kind kind, Optional<String> object, Optional<ObjectUse> use, String detail, Optional<String> movedTo) {}
}
