package org.gittheta.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.transfer.LfsClient;
import org.gittheta.transfer.LfsEndpoint;
import org.gittheta.transfer.LocalRemote;
import org.gittheta.transfer.ObjectRemote;
import org.gittheta.transfer.ObjectSource;

/** Finds where objects come from and go to: the configured remote, as git-lfs would pick it. */
final class Remotes {
    private Remotes() {}

    /** {@code theta.remote}, else {@code origin}, else the only remote there is. */
    static Optional<String> defaultRemote(Path dir) throws IOException {
        Optional<String> configured = Git.config(dir, "theta.remote");
        if (configured.isPresent()) return configured;
        List<String> remotes = names(dir);
        if (remotes.contains("origin")) return Optional.of("origin");
        return remotes.size() == 1 ? Optional.of(remotes.getFirst()) : Optional.empty();
    }

    static List<String> names(Path dir) throws IOException {
        return Git.exec(dir, "remote").out().lines().toList();
    }

    static Optional<ObjectSource> source(Path dir, String remote) throws IOException {
        return remote(dir, remote).map(r -> r);
    }

    static Optional<ObjectSource> defaultSource(Path dir) throws IOException {
        Optional<String> remote = defaultRemote(dir);
        return remote.isEmpty() ? Optional.empty() : source(dir, remote.get());
    }

    /** The named remote (or a URL given in its place, as {@code git push <url>} does); empty if it has no URL. */
    static Optional<ObjectRemote> remote(Path dir, String nameOrUrl) throws IOException {
        Optional<String> url = Git.config(dir, "remote." + nameOrUrl + ".url");
        if (url.isEmpty() && (nameOrUrl.contains("/") || nameOrUrl.contains(":"))) url = Optional.of(nameOrUrl);
        return forUrl(dir, nameOrUrl, url);
    }

    /** Like {@link #remote} when git has told us both the remote's name and its URL (the pre-push hook). */
    static Optional<ObjectRemote> remote(Path dir, String name, String url) throws IOException {
        return forUrl(dir, name, Optional.of(url));
    }

    /**
     * {@code lfs.url}, then {@code remote.<name>.lfsurl} (as git-lfs orders them), then a local path or
     * {@code file://} URL as a repository on disk, then the LFS URL derived from the remote's URL.
     */
    private static Optional<ObjectRemote> forUrl(Path dir, String name, Optional<String> url) throws IOException {
        Optional<String> lfsUrl = Git.config(dir, "lfs.url");
        if (lfsUrl.isEmpty()) lfsUrl = Git.config(dir, "remote." + name + ".lfsurl");
        if (lfsUrl.isPresent()) return Optional.of(lfs(dir, URI.create(lfsUrl.get())));
        if (url.isEmpty()) return Optional.empty();
        Optional<Path> local = localGitDir(dir, url.get());
        if (local.isPresent()) return Optional.of(LocalRemote.of(local.get()));
        Optional<URI> derived = LfsEndpoint.fromRemoteUrl(url.get());
        return derived.isEmpty() ? Optional.empty() : Optional.of(lfs(dir, derived.get()));
    }

    private static ObjectRemote lfs(Path dir, URI endpoint) throws IOException {
        int concurrency = Git.config(dir, "lfs.concurrenttransfers").map(Remotes::positive).orElse(8);
        LfsClient.Options defaults = LfsClient.Options.defaults();
        return new LfsClient(endpoint, new GitCredentials(dir),
                new LfsClient.Options(concurrency, defaults.attempts(), defaults.firstBackoff()), TerminalTransferProgress.forStderr());
    }

    private static int positive(String value) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserException("lfs.concurrenttransfers must be a positive number, not '" + value + "'");
    }

    /** The git directory a local URL (a path or {@code file://}) points at; empty for network URLs. */
    static Optional<Path> localGitDir(Path dir, String url) {
        Path path;
        if (url.startsWith("file://")) {
            path = Path.of(URI.create(url));
        } else if (url.contains("://") || url.matches("^[^/]+:.*")) {
            return Optional.empty();
        } else {
            path = dir.resolve(url);
        }
        Path dotGit = path.resolve(".git");
        return Optional.of(Files.isDirectory(dotGit) ? dotGit : path);
    }
}
