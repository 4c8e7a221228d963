package org.gittheta.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;
import org.gittheta.filter.Smudger;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.FisherSource;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.merge.ParamReport;
import org.gittheta.merge.ThreeWayMerge;
import org.gittheta.progress.Progress;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.store.Codec;
import org.gittheta.update.ParamDecoder;
import org.gittheta.update.ParamEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "merge-driver", hidden = true, mixinStandardHelpOptions = true,
        description = "Git's merge driver for tracked checkpoints (git runs this as '%%O %%A %%B %%P'; see 'git theta install' and docs/merging.md).")
final class MergeDriverCommand implements java.util.concurrent.Callable<Integer> {
    /** Values of computed parameters in memory at once; a larger parameter is merged alone. */
    private static final long MEMORY_BUDGET = 1L << 30;

    @Parameters(index = "0", paramLabel = "%O", description = "file with the base version (cleaned manifest)")
    Path base;
    @Parameters(index = "1", paramLabel = "%A", description = "file with our version; receives the result")
    Path ours;
    @Parameters(index = "2", paramLabel = "%B", description = "file with their version")
    Path theirs;
    @Parameters(index = "3", paramLabel = "%P", description = "the path in the repository")
    String path;

    @Override public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Git.Dirs dirs = Git.dirs(cwd);
        MergeConfig config;
        try {
            config = MergeConfig.parse(mergeSettings(cwd));
        } catch (IllegalArgumentException e) {
            throw new UserException(path + ": " + e.getMessage());
        }
        Codec codec = Codec.fromConfig(Git.config(cwd, "theta.codec").orElse("zstd"));
        Optional<Manifest> baseManifest = manifest(base, "base", true);
        Manifest oursManifest = manifest(ours, "ours", false).orElseThrow();
        Manifest theirsManifest = manifest(theirs, "theirs", false).orElseThrow();
        List<Path> temps = new ArrayList<>();
        try (ThetaRepo repo = ThetaRepo.open(dirs.gitDir(), dirs.commonDir())) {
            Smudger fetcher = new Smudger(repo.store(), Remotes.defaultSource(cwd), Progress.NONE);
            for (Manifest m : List.of(oursManifest, theirsManifest)) fetcher.ensurePresent(path, m);
            if (baseManifest.isPresent()) fetcher.ensurePresent(path, baseManifest.get());
            ParamDecoder decoder = new ParamDecoder(repo.store());
            boolean usesFisher = config.usesFisher();
            try (FisherSource fo = fisher(usesFisher, repo, fetcher, decoder, config.fisherOurs(), config.fisherAt(), Optional.of("HEAD"), cwd, temps);
                 FisherSource ft = fisher(usesFisher, repo, fetcher, decoder, config.fisherTheirs(), config.fisherAt(), theirsRevision(repo, dirs), cwd, temps)) {
                ThreeWayMerge merge = new ThreeWayMerge(decoder, new ParamEncoder(repo.store(), codec, AddCommand.updateOptions(cwd)), config, fo, ft, MEMORY_BUDGET);
                MergeResult result = merge.merge(path, baseManifest, oursManifest, theirsManifest);
                report(config, result);
                if (result.merged().isEmpty()) {
                    System.err.println("git-theta: CONFLICT (parameters) in " + path + ": "
                            + String.join(", ", result.conflicts().stream().map(ParamReport::name).toList()));
                    return 1;
                }
                writeAtomically(ours, result.merged().get().toBytes());
                return 0;
            }
        } finally {
            for (Path p : temps) Files.deleteIfExists(p);
        }
    }

    /** Every {@code theta.merge.*} setting git sees (including {@code git -c}), key without the prefix. */
    private static Map<String, List<String>> mergeSettings(Path cwd) throws IOException {
        Git.Result r = Git.exec(cwd, "config", "--get-regexp", "^theta\\.merge\\.");
        Map<String, List<String>> m = new LinkedHashMap<>();
        if (r.exit() != 0) return m;
        for (String line : r.out().lines().toList()) {
            int sp = line.indexOf(' ');
            String key = (sp < 0 ? line : line.substring(0, sp)).substring("theta.merge.".length());
            m.computeIfAbsent(key, k -> new ArrayList<>()).add(sp < 0 ? "true" : line.substring(sp + 1));
        }
        return m;
    }

    private Optional<Manifest> manifest(Path file, String side, boolean mayBeEmpty) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (mayBeEmpty && bytes.length == 0) return Optional.empty();
        if (!Manifest.looksLike(bytes, bytes.length)) {
            throw new UserException(path + ": " + side + "' version is not a git-theta manifest (committed before it was tracked?); "
                    + "merge it by hand, e.g. 'git checkout --ours -- " + path + "'");
        }
        return Optional.of(Manifest.parse(bytes));
    }

    /**
     * A side's Fisher: the configured file if there is one, else the configured path read at the side's commit
     * (a git-theta manifest or a plain committed checkpoint), else none.
     */
    private FisherSource fisher(boolean usesFisher, ThetaRepo repo, Smudger fetcher, ParamDecoder decoder, Optional<String> file, Optional<String> at,
                                Optional<String> rev, Path cwd, List<Path> temps) throws IOException {
        if (!usesFisher) return FisherSource.none();
        if (file.isPresent()) return FisherSource.ofFile(cwd.resolve(file.get()));
        if (at.isEmpty()) return FisherSource.none();
        if (rev.isEmpty()) throw new UserException(path + ": theta.merge.fisherAt is set, but the commit of their side is unknown "
                + "(git merge and git rebase name it, git cherry-pick does not; see docs/merging.md)");
        Optional<ObjectId> blob = repo.blobAt(rev.get(), at.get());
        if (blob.isEmpty()) return FisherSource.none();
        String what = rev.get() + ":" + at.get();
        Optional<Manifest> m = repo.manifestOfBlob(blob.get());
        if (m.isPresent()) {
            fetcher.ensurePresent(what, m.get());
            return FisherSource.ofManifest(what, m.get(), decoder);
        }
        String name = Path.of(at.get()).getFileName().toString();
        Path tmp = Files.createTempFile(repo.store().lfsDir().getParent(), "theta-fisher-", "-" + name);
        temps.add(tmp);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            repo.git().open(blob.get()).copyTo(out);
        }
        return FisherSource.ofFile(tmp);
    }

    /**
     * The commit whose change is being merged in, as far as git tells its drivers: {@code git merge} sets
     * GITHEAD_&lt;sha&gt;; {@code git rebase} has written the commit it is replaying as the last line of
     * rebase-merge/done. A single {@code git cherry-pick} or {@code revert} leaves no trace before the driver runs.
     */
    private static Optional<String> theirsRevision(ThetaRepo repo, Git.Dirs dirs) throws IOException {
        ObjectId head = repo.git().resolve("HEAD");
        for (String key : System.getenv().keySet()) {
            if (key.startsWith("GITHEAD_") && (head == null || !key.substring(8).equals(head.name()))) return Optional.of(key.substring(8));
        }
        Path done = dirs.gitDir().resolve("rebase-merge/done");
        if (Files.isRegularFile(done)) {
            List<String> lines = Files.readAllLines(done).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            if (!lines.isEmpty()) {
                String[] words = lines.getLast().strip().split("\\s+");
                if (words.length > 1) return Optional.of(words[1]);
            }
        }
        return Optional.empty();
    }

    private void report(MergeConfig config, MergeResult result) {
        System.err.println("git-theta merge " + path + ": strategy " + config.strategy().describe()
                + (config.rules().isEmpty() ? "" : ", " + config.rules().size() + " rule(s)"));
        for (ParamReport p : result.params()) {
            if (p.action() == ParamReport.Action.UNCHANGED) continue;
            System.err.printf("  %-9s %s%s%n", p.action().name().toLowerCase(Locale.ROOT), p.name(),
                    p.detail().isEmpty() ? "" : "  (" + p.detail() + ")");
        }
        StringBuilder summary = new StringBuilder("  ");
        for (ParamReport.Action a : ParamReport.Action.values()) {
            if (summary.length() > 2) summary.append(", ");
            summary.append(result.count(a)).append(' ').append(a.name().toLowerCase(Locale.ROOT));
        }
        System.err.println(summary);
    }

    /** Git reads the result from %A: replace it whole or not at all. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), ".theta-merge-", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
