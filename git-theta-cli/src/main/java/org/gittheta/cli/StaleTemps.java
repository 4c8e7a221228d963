package org.gittheta.cli;

import java.time.Duration;
import java.time.Instant;

/**
 * When a temporary file of the store can no longer be one that a process is writing: when it was last modified
 * before the oldest other git-theta process started. A writer creates its files after it starts, and a file being
 * written keeps a fresh time.
 */
public final class StaleTemps {
    /**
     * Start times come from the kernel's boot time, which is kept in whole seconds: a process may be reported up to
     * a second early or late. Files are only called stale with this much to spare.
     */
    private static final Duration START_TIME_SLACK = Duration.ofSeconds(2);

    private StaleTemps() {}

    /** Files last modified before this belong to no running git-theta process (or are older than {@code floor}). */
    public static Instant cutoff(Instant floor) {
        Instant oldest = oldestOtherProcessStart(Instant.now());
        if (oldest.equals(Instant.MIN)) return floor; // one of them does not say when it started
        oldest = oldest.minus(START_TIME_SLACK);
        return oldest.isAfter(floor) ? oldest : floor;
    }

    /** As {@link #cutoff}, with nothing else to wait for. */
    public static Instant cutoff() {
        return cutoff(Instant.MIN);
    }

    /** Processes whose start or command line this user cannot see are not ours and are skipped. */
    private static Instant oldestOtherProcessStart(Instant now) {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p ->
                        p.info().commandLine().map(c -> c.contains("git-theta")).orElse(false))
                .map(p -> p.info().startInstant().orElse(Instant.MIN))
                .reduce(now, (a, b) -> a.isBefore(b) ? a : b);
    }
}
