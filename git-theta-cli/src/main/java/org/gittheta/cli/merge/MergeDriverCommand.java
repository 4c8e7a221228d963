package org.gittheta.cli.merge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.cli.store.WorkTreeCheckpoints;
import org.gittheta.config.SettingException;
import org.gittheta.manifest.Manifest;
import org.gittheta.merge.MergeConfig;
import org.gittheta.merge.MergeResult;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.store.AtomicFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "merge-driver",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = "Git's merge driver for tracked checkpoints (git runs this as '%%O %%A %%B %%P'; see 'git "
                + "theta install' and docs/merging.md).")
public final class MergeDriverCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0", paramLabel = "%O", description = "file with the base version (cleaned manifest)")
    Path base;

    @Parameters(index = "1", paramLabel = "%A", description = "file with our version; receives the result")
    Path ours;

    @Parameters(index = "2", paramLabel = "%B", description = "file with their version")
    Path theirs;

    @Parameters(index = "3", paramLabel = "%P", description = "the path in the repository")
    String path;

    /** The driver on git's four arguments, as {@code FastPath} starts it without picocli. */
    public static MergeDriverCommand of(Path base, Path ours, Path theirs, String path) {
        MergeDriverCommand driver = new MergeDriverCommand();
        driver.base = base;
        driver.ours = ours;
        driver.theirs = theirs;
        driver.path = path;
        return driver;
    }

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Optional<Manifest> baseManifest = manifest(base, "the base version", true);
        Manifest oursManifest = manifest(ours, "our version", false).orElseThrow();
        Manifest theirsManifest = manifest(theirs, "their version", false).orElseThrow();
        try (ThetaRepository repo = Git.repository(cwd)) {
            MergeConfig config;
            try {
                config = repo.settings().mergeConfig();
            } catch (SettingException e) {
                throw new UserException(path + ": " + e.getMessage());
            }
            MergeResult result = repo.merge(
                    path, config, baseManifest, oursManifest, theirsManifest, theirsRevision(repo), cwd, mergeId());
            report(config, result);
            if (result.merged().isEmpty()) {
                MergeReport.printConflicts(System.err, path, result);
                return 1;
            }
            // git reads %A: whole or not at all; written line by line, not first as bytes in the bounded heap
            AtomicFile.replace(ours, result.merged().get()::writeTo, Optional.empty());
            return 0;
        }
    }

    /** The {@code git theta merge} this driver runs for, which writes the checkpoints afterwards, if any. */
    private static Optional<String> mergeId() {
        return Optional.ofNullable(System.getenv(WorkTreeCheckpoints.MERGE_ID)).filter(ThetaRepository::isMergeId);
    }

    private Optional<Manifest> manifest(Path file, String version, boolean mayBeEmpty) throws IOException {
        if (mayBeEmpty && Files.size(file) == 0) return Optional.empty();
        boolean isManifest;
        // only the start: a version committed before the file was tracked is the whole checkpoint
        try (InputStream in = Files.newInputStream(file)) {
            isManifest = Manifest.looksLike(in);
        }
        if (!isManifest) {
            throw new UserException(
                    path + ": " + version + " is not a git-theta manifest (committed before it was tracked?); "
                            + "merge it by hand, e.g. 'git checkout --ours -- " + path + "'");
        }
        return Optional.of(Manifest.parse(Files.readAllBytes(file)));
    }

    /**
     * The commit whose change is being merged in, as far as git tells its drivers: {@code git merge} sets
     * GITHEAD_&lt;sha&gt;; {@code git rebase} has written the commit it is replaying as the last line of
     * rebase-merge/done. A single {@code git cherry-pick} or {@code revert} leaves no trace before the driver runs.
     */
    private static Optional<String> theirsRevision(ThetaRepository repo) throws IOException {
        List<String> heads = System.getenv().keySet().stream()
                .filter(k -> k.startsWith("GITHEAD_"))
                .map(k -> k.substring(8))
                .toList();
        if (!heads.isEmpty()) {
            // asked of git rather than JGit, whose start-up would be most of the driver's
            Git.Result r = Git.exec(repo.location().workTree(), "rev-parse", "--verify", "-q", "HEAD^{commit}");
            Optional<String> head = r.exit() == 0 ? Optional.of(r.out().strip()) : Optional.empty();
            for (String sha : heads) if (!head.equals(Optional.of(sha))) return Optional.of(sha);
        }
        Path done = repo.location().gitDir().resolve("rebase-merge/done");
        if (Files.isRegularFile(done)) {
            List<String> lines = Files.readAllLines(done).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .toList();
            if (!lines.isEmpty()) {
                String[] words = lines.getLast().strip().split("\\s+");
                if (words.length > 1) return Optional.of(words[1]);
            }
        }
        return Optional.empty();
    }

    private void report(MergeConfig config, MergeResult result) {
        MergeReport.print(
                System.err,
                "git-theta merge " + path + ": strategy " + config.strategy().describe()
                        + ", scope " + config.scope().label()
                        + (config.rules().isEmpty() ? "" : ", " + config.rules().size() + " rule(s)"),
                result);
    }
}
