package org.gittheta.cli.store;

import picocli.CommandLine.Option;

/** The options {@code status} and {@code ls-files} share. */
final class ListingOptions {
    @Option(names = "--json", description = "Machine-readable output (see docs/reliability.md).")
    boolean json;

    @Option(
            names = "--offline",
            description = "Do not ask the remote about objects not stored here: they are listed as unknown.")
    boolean offline;
}
