package org.gittheta.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.gittheta.convert.Cleaner;
import org.gittheta.manifest.Manifest;
import org.gittheta.progress.Progress;
import org.gittheta.store.Codec;
import org.gittheta.store.ObjectStore;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;

/**
 * The clean filter in process, without git or a JVM start: {@code CleanBench <store dir> <file>...} cleans each
 * file in turn as the next version of the same path (the previous file's manifest is the staged one), as
 * {@code git add} of a series does, and prints wall and process CPU seconds per file. For profiling the add path
 * (run it under {@code -XX:StartFlightRecording}).
 */
public final class CleanBench {
    private CleanBench() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CleanBench <store dir> <file>...");
            System.exit(2);
        }
        ObjectStore store = new ObjectStore(Path.of(args[0]));
        Cleaner cleaner =
                new Cleaner(store, new ParamEncoder(store, Codec.ZSTD, UpdateOptions.auto()), Progress.NONE, false);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Optional<Manifest> previous = Optional.empty();
        for (int i = 1; i < args.length; i++) {
            Path file = Path.of(args[i]);
            long wall = System.nanoTime(), cpu = os.getProcessCpuTime();
            ByteArrayOutputStream manifest = new ByteArrayOutputStream();
            Optional<Manifest> staged = previous;
            try (InputStream in = Files.newInputStream(file)) {
                cleaner.clean(file.getFileName().toString(), in, manifest, () -> staged);
            }
            System.out.printf(
                    "%s: %.2f s wall, %.2f s CPU%n",
                    file.getFileName(), (System.nanoTime() - wall) / 1e9, (os.getProcessCpuTime() - cpu) / 1e9);
            previous = Optional.of(Manifest.parse(manifest.toByteArray()));
        }
    }
}
