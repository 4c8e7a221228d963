package org.gittheta.repo;

import java.time.Instant;
import java.util.Optional;
import org.gittheta.transfer.ObjectRemote;

/**
 * @param objectCutoff objects last modified at or after it are kept whatever uses them
 * @param tempCutoff   temporary files last modified before it belong to no running process
 * @param verifyRemote when present, local copies that only old versions use are dropped if this remote holds them
 */
public record GcOptions(
        Instant objectCutoff, Instant tempCutoff, boolean dryRun, Optional<ObjectRemote> verifyRemote) {}
