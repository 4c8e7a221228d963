package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = "Stage checkpoints, choosing how their changed parameters are stored (git add with git-theta settings).")
final class AddCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "<path>", description = "files to stage")
    List<String> paths;

    @Option(names = "--update-type", paramLabel = "<type>",
            description = "dense, sparse, xor-delta, low-rank, ia3 or auto (default: git config theta.updateType, else auto)")
    String updateType;

    @Option(names = "--lora", paramLabel = "<adapter-dir>",
            description = "PEFT LoRA adapter merged into this version: its factors plus an exact residual are stored")
    Path lora;

    @Option(names = "--rank", paramLabel = "<R>", description = "rank of the truncated SVD stored with --lossy")
    Integer rank;

    @Option(names = "--lossy", description = "with --update-type low-rank --rank R: store each changed 2-D float parameter as "
            + "rank-R SVD factors of its change, without the exact residual (the stored values then differ from the file's)")
    boolean lossy;

    @Override public Integer call() throws IOException {
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
        if (lossy || rank != null) {
            if (!lossy || rank == null || !"low-rank".equals(updateType) || lora != null) {
                throw new UserException("lossy storage is asked for as --update-type low-rank --rank <R> --lossy (without --lora)");
            }
            if (rank <= 0) throw new UserException("--rank " + rank + " is not a positive number");
            cmd.addAll(List.of("-c", "theta.rank=" + rank, "-c", "theta.lossy=true"));
        }
        if ("low-rank".equals(updateType) && lora == null && !lossy) {
            throw new UserException("--update-type low-rank needs --lora <adapter-dir>, or --rank <R> --lossy for lossy truncated SVD");
        }
        cmd.add("add");
        cmd.add("--");
        cmd.addAll(paths);
        Map<String, Manifest> before = lossy ? staged(cwd) : Map.of();
        // git starts a fresh filter process for this invocation, which reads the -c settings back
        Git.Result r = Git.exec(cwd, cmd.toArray(String[]::new));
        System.out.print(r.out());
        System.err.print(r.err());
        if (r.exit() == 0 && lossy) reportLossy(cwd, before);
        return r.exit();
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

    /**
     * Says which files now hold lossily stored parameters and drops their index stat data: the staged
     * values differ from the file's, yet git trusts an unchanged stat and would call the file clean and
     * skip it on {@code git checkout -- <path>}. Without stat data git re-reads it (exactly, without
     * --lossy) and sees the difference until the stored version is checked out.
     */
    private void reportLossy(Path cwd, Map<String, Manifest> before) throws IOException {
        Path top = Git.dirs(cwd).topLevel();
        try (ThetaRepository repo = ThetaRepository.open(Git.dirs(cwd).location())) {
            for (Staged e : entries(cwd)) {
                Optional<Manifest> after = repo.indexManifest(e.path());
                if (after.isEmpty()) continue;
                Map<String, ParamEntry> old = before.containsKey(e.path()) ? before.get(e.path()).byName() : Map.of();
                long n = after.get().params().stream().filter(p -> p.attributes().containsKey("lossy")
                        && (!old.containsKey(p.name()) || !old.get(p.name()).object().equals(p.object()))).count();
                if (n == 0) continue;
                Git.run(top, "update-index", "--cacheinfo", e.mode() + "," + e.blob() + "," + e.path());
                System.err.println("git-theta: " + e.path() + ": stored " + n + " parameter" + (n == 1 ? "" : "s") + " lossily (rank "
                        + rank + "); check it out again to get the stored values");
            }
        }
    }

    private static Optional<UpdateKind> parseType(String value) {
        try {
            return UpdateOptions.parseType(value);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
