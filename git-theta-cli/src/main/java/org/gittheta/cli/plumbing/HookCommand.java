package org.gittheta.cli.plumbing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.cli.Git;
import org.gittheta.cli.UserException;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.transfer.ObjectRemote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "hook",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = "Run a repository hook (git runs this through the scripts 'git theta install' places).")
public final class HookCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<hook>", description = "pre-push")
    String hook;

    @Parameters(index = "1..*", paramLabel = "<arg>", description = "the hook's arguments from git")
    List<String> args = new ArrayList<>();

    /** The command as picocli would fill it in, for a caller that parsed the arguments itself. */
    public static HookCommand of(String hook, List<String> args) {
        HookCommand command = new HookCommand();
        command.hook = hook;
        command.args = new ArrayList<>(args);
        return command;
    }

    @Override
    public Integer call() throws IOException {
        if (!hook.equals("pre-push")) throw new UserException("unknown hook '" + hook + "'");
        if (args.size() < 2) throw new UserException("pre-push: git passes the remote's name and URL");
        prePush(Path.of("").toAbsolutePath(), args.get(0), args.get(1));
        return 0;
    }

    /**
     * Git sends {@code <local ref> <local sha> <remote ref> <remote sha>} per ref. Every object of the
     * manifests that the pushed commits introduce (and of those at the pushed tips) that the remote lacks is
     * uploaded before git sends the refs, so no one can fetch a commit whose parameters are not there yet.
     */
    private static void prePush(Path cwd, String name, String url) throws IOException {
        List<String> tips = new ArrayList<>();
        List<String> known = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 4) continue;
            if (!isZero(f[1])) tips.add(f[1]); // all zeros: the ref is being deleted
            if (!isZero(f[3])) known.add(f[3]);
        }
        if (tips.isEmpty()) return;
        try (ThetaRepository repo = Git.repository(cwd)) {
            Optional<ObjectRemote> remote = repo.remote(name, url);
            if (remote.isEmpty()) return; // nowhere objects could go (e.g. a URL with no LFS endpoint): leave it to git
            known.addAll(repo.refTips("refs/remotes/" + name + "/"));
            try {
                repo.push(remote.get(), repo.objectsIntroducedBy(tips, known));
            } catch (IOException e) {
                throw new UserException("could not upload parameter objects to "
                        + remote.get().describe() + ": " + e.getMessage() + "; the push was stopped");
            }
        }
    }

    private static boolean isZero(String id) {
        return id.chars().allMatch(c -> c == '0');
    }
}
