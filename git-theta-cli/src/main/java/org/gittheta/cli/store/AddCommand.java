package org.gittheta.cli.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.UserException;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.text.Printable;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "add",
        mixinStandardHelpOptions = true,
        description = "Stage checkpoints, choosing how their changed parameters are stored (git add with "
                + "git-theta settings).")
public final class AddCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<path>", description = "files to stage")
    List<String> paths;

    @Option(
            names = "--update-type",
            paramLabel = "<type>",
            description =
                    "dense, sparse, xor-delta, low-rank, ia3 or auto (default: git config theta.updateType, else auto)")
    String updateType;

    @Option(
            names = "--lora",
            paramLabel = "<adapter-dir>",
            description = "PEFT LoRA adapter merged into this version: its factors plus an exact residual are stored")
    Path lora;

    @Option(
            names = "--rank",
            paramLabel = "<R>",
            description = "with --update-type low-rank and no adapter: store each changed "
                    + "2-D float parameter as rank-R truncated-SVD factors of its change plus the exact residual")
    Integer rank;

    @Option(
            names = "--lossy",
            description = "with --update-type low-rank --rank R: store each changed 2-D float parameter as "
                    + "rank-R SVD factors of its change, without the exact residual (the stored "
                    + "values then differ from the file's)")
    boolean lossy;

    @Option(
            names = "--update-data",
            paramLabel = "<file>",
            description = "side-loaded update in git-theta's layout (safetensors or "
                    + "torch.save file): <param>/R and /C, scipy-CSR /data /indices /indptr /shape, /ia3, "
                    + "or the whole <param> for dense; "
                    + "the file with the update applied is staged")
    Path updateData;

    @Override
    public Integer call() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        List<String> cmd = new ArrayList<>();
        if (updateType != null) {
            parseType(updateType);
            cmd.addAll(List.of("-c", "theta.updateType=" + updateType));
        }
        if (lora != null) {
            Path dir = lora.toAbsolutePath();
            if (!Files.isDirectory(dir)) throw new UserException(lora + ": no such adapter directory");
            cmd.addAll(List.of("-c", "theta.lora=" + dir));
        }
        if (updateData != null) cmd.addAll(updateDataSettings());
        boolean lowRank = "low-rank".equals(updateType);
        if (rank != null) {
            if (!lowRank || lora != null || updateData != null) {
                throw new UserException("--rank <R> goes with --update-type low-rank, without --lora or --update-data");
            }
            if (rank <= 0) throw new UserException("--rank " + rank + " is not a positive number");
            cmd.addAll(List.of("-c", "theta.rank=" + rank));
        }
        if (lossy) {
            if (rank == null)
                throw new UserException(
                        "lossy storage is asked for as --update-type low-rank --rank <R> --lossy (without --lora)");
            cmd.addAll(List.of("-c", "theta.lossy=true"));
        }
        if (lowRank && lora == null && rank == null && updateData == null) {
            throw new UserException(
                    "--update-type low-rank needs --lora <adapter-dir>, --update-data <file>, or --rank <R> "
                            + "(exact truncated-SVD factors; add --lossy to drop the residual)");
        }
        // without the filter, git add would stage the checkpoints' bytes as they are, and no setting above is read
        WorkTreeCheckpoints.requireFilter(Git.settings(cwd));
        cmd.add("add");
        cmd.add("--");
        cmd.addAll(paths);
        boolean report = rank != null || updateData != null;
        Map<String, Manifest> before = report ? staged(cwd) : Map.of();
        // an unchanged file (the usual case with update data, or a storage asked for after a plain add) is re-cleaned
        // only if git distrusts its stat data
        if (updateData != null || updateType != null || lora != null) forgetStat(cwd);
        // git starts a fresh filter process for this invocation, which reads the -c settings back
        Git.Result r = Git.exec(cwd, cmd.toArray(String[]::new));
        System.out.print(r.out());
        System.err.print(r.err());
        if (r.exit() == 0 && report) report(cwd, before);
        return r.exit();
    }

    private List<String> updateDataSettings() {
        Path file = updateData.toAbsolutePath();
        if (!Files.isRegularFile(file)) throw new UserException(updateData + ": no such update data file");
        if (updateType == null || !List.of("sparse", "low-rank", "ia3", "dense").contains(updateType)) {
            throw new UserException("--update-data needs --update-type sparse, low-rank, ia3 or dense");
        }
        if (lora != null || lossy) throw new UserException("--update-data does not go with --lora or --lossy");
        if (paths.size() != 1) throw new UserException("--update-data applies to one checkpoint; name only that file");
        return List.of("-c", "theta.updateData=" + file);
    }

    /** An index entry of the paths given: {@code git ls-files -s} fields, path from the top level. */
    private record Staged(String mode, String blob, String path) {}

    private List<Staged> entries(Path cwd) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ls-files", "-s", "-z", "--full-name", "--"));
        cmd.addAll(paths);
        List<Staged> out = new ArrayList<>();
        for (String line : Git.run(cwd, cmd.toArray(String[]::new)).split("\0")) {
            if (line.isEmpty()) continue;
            String[] f = line.split("[ \t]", 4);
            out.add(new Staged(f[0], f[1], f[3]));
        }
        return out;
    }

    private Map<String, Manifest> staged(Path cwd) throws IOException {
        Map<String, Manifest> manifests = new HashMap<>();
        try (ThetaRepository repo = ThetaRepository.open(Git.dirs(cwd).location())) {
            for (Staged e : entries(cwd)) repo.indexManifest(e.path()).ifPresent(m -> manifests.put(e.path(), m));
        }
        return manifests;
    }

    /** Drops the stat data of the paths' index entries, so that git cleans them again whatever their stat says. */
    private void forgetStat(Path cwd) throws IOException {
        Path top = Git.dirs(cwd).topLevel();
        for (Staged e : entries(cwd))
            Git.run(top, "update-index", "--cacheinfo", e.mode() + "," + e.blob() + "," + e.path());
    }

    /**
     * Says what was stored for the forms that report (forced low-rank, update data, lossy). With update data the staged
     * version (the file with the update applied) is then checked out into the work tree. Where the staged values differ
     * from the file's (update data, lossy storage), drops the index stat data first: git trusts an unchanged stat and
     * would call the file clean and skip it on {@code git checkout -- <path>}. Without stat data git re-reads the file
     * (as a plain add would) and sees the difference until the stored version is checked out.
     */
    private void report(Path cwd, Map<String, Manifest> before) throws IOException {
        Path top = Git.dirs(cwd).topLevel();
        try (ThetaRepository repo = ThetaRepository.open(Git.dirs(cwd).location())) {
            for (Staged e : entries(cwd)) {
                Optional<Manifest> after = repo.indexManifest(e.path());
                if (after.isEmpty()) continue;
                Map<String, ParamEntry> old =
                        before.containsKey(e.path()) ? before.get(e.path()).byName() : Map.of();
                List<ParamEntry> stored = after.get().params().stream()
                        .filter(p -> !p.equals(old.get(p.name())))
                        .toList();
                List<ParamEntry> lowRank = stored.stream()
                        .filter(p -> p.update().equals("low-rank"))
                        .toList();
                long n = lowRank.stream()
                        .filter(p -> p.attributes().containsKey("lossy"))
                        .count();
                if (updateData != null || n > 0)
                    Git.run(top, "update-index", "--cacheinfo", e.mode() + "," + e.blob() + "," + e.path());
                // the file holds the values before the update: write the staged version, so that the work tree agrees
                // with the index and switching commits works as in git-theta's flow
                boolean written = updateData != null
                        && Git.exec(top, "checkout", "--", e.path()).exit() == 0;
                String path = Printable.escape(e.path());
                String what = path + ": stored " + count(lowRank.size()) + " as rank-" + rank + " factors ";
                if (updateData != null) {
                    System.err.println(
                            "git-theta: " + path + ": staged with the update data applied (" + count(stored.size())
                                    + " stored, " + Sizes.human(ownBytes(stored)) + "); "
                                    + (written
                                            ? "wrote the updated values to it"
                                            : "check it out to get the updated values: git checkout -- " + path));
                } else if (n > 0) {
                    System.err.println("git-theta: " + path + ": stored " + count(n) + " lossily (rank " + rank
                            + "); check it out again to get the stored values");
                } else if (!lowRank.isEmpty()) {
                    System.err.println("git-theta: " + what + "plus exact residual: " + Sizes.human(ownBytes(lowRank))
                            + " stored for "
                            + Sizes.human(lowRank.stream()
                                    .mapToLong(ParamEntry::byteSize)
                                    .sum()) + " of values");
                }
            }
        }
    }

    private static String count(long n) {
        return n + " parameter" + (n == 1 ? "" : "s");
    }

    private static long ownBytes(List<ParamEntry> entries) {
        return entries.stream().mapToLong(ParamEntry::storedBytes).sum();
    }

    private static Optional<UpdateKind> parseType(String value) {
        try {
            return UpdateOptions.parseType(value);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
