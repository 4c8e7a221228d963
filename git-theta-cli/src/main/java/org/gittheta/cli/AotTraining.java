package org.gittheta.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The run that trains the JVM's AOT cache (bin/lib/java.sh), started by git as a filter process. A JVM records the
 * classes and profiles of its own run only, so this one runs, in turn, the three commands whose start-up counts:
 * {@code --version}, the merge driver on the four arguments ({@code %O %A %B %P}), a push and fetch through a
 * Git LFS server on loopback ({@link TransferTraining}, in a directory beside the merge driver's files), and the
 * filter process serving git on stdin and stdout.
 */
final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream())); // stdout carries git's filter protocol
        int version = Main.execute("--version");
        System.setOut(stdout);
        int merge = Main.execute("merge-driver", args[0], args[1], args[2], args[3]);
        TransferTraining.run(Path.of(args[0]).resolveSibling("transfers"));
        int filter = Main.execute("filter-process");
        System.exit(version != 0 ? version : merge != 0 ? merge : filter);
    }
}
