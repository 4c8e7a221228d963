package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.update.LoraAdapter;
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
        if ("low-rank".equals(updateType) && lora == null) {
            throw new UserException("--update-type low-rank needs --lora <adapter-dir> (lossy SVD is not supported yet)");
        }
        cmd.add("add");
        cmd.add("--");
        cmd.addAll(paths);
        // git starts a fresh filter process for this invocation, which reads the -c settings back
        Git.Result r = Git.exec(cwd, cmd.toArray(String[]::new));
        System.out.print(r.out());
        System.err.print(r.err());
        return r.exit();
    }

    /** The update settings for a filter process: theta.updateType, theta.lora, theta.maxChainDepth. */
    static UpdateOptions updateOptions(Path cwd) throws IOException {
        Optional<UpdateKind> forced = parseType(Git.config(cwd, "theta.updateType").orElse("auto"));
        Optional<LoraAdapter> lora = Optional.empty();
        Optional<String> dir = Git.config(cwd, "theta.lora");
        if (dir.isPresent()) lora = Optional.of(LoraAdapter.load(Path.of(dir.get())));
        String depth = Git.config(cwd, "theta.maxChainDepth").orElse(String.valueOf(UpdateOptions.DEFAULT_MAX_CHAIN_DEPTH));
        try {
            return new UpdateOptions(forced, lora, Integer.parseInt(depth));
        } catch (IllegalArgumentException e) {
            throw new UserException("theta.maxChainDepth '" + depth + "' is not a non-negative number");
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
