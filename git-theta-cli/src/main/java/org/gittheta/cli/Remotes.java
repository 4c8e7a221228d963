package org.gittheta.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.gittheta.config.Settings;
import org.gittheta.transfer.LfsClient;
import org.gittheta.transfer.LfsEndpoint;
import org.gittheta.transfer.LocalRemote;
import org.gittheta.transfer.ObjectRemote;
import org.gittheta.transfer.ObjectSource;

/** Finds where objects come from and go to: the configured remote, as git-lfs would pick it. */
final class Remotes {
    private Remotes() {}

    static Optional<ObjectSource> defaultSource(Path dir, Settings settings) throws IOException {
        Optional<String> remote = settings.defaultRemote();
        return remote.isEmpty() ? Optional.empty() : remote(dir, settings, remote.get()).map(r -> r);
    }

    /** The named remote (or a URL given in its place, as {@code git push <url>} does); empty if it has no URL. */
    static Optional<ObjectRemote> remote(Path dir, Settings settings, String nameOrUrl) throws IOException {
        Optional<String> url = settings.remoteUrl(nameOrUrl);
        if (url.isEmpty() && (nameOrUrl.contains("/") || nameOrUrl.contains(":"))) url = Optional.of(nameOrUrl);
        return forUrl(dir, settings, nameOrUrl, url);
    }

    /** Like {@link #remote} when git has told us both the remote's name and its URL (the pre-push hook). */
    static Optional<ObjectRemote> remote(Path dir, Settings settings, String name, String url) throws IOException {
        return forUrl(dir, settings, name, Optional.of(url));
    }

    /**
     * {@code lfs.url}, then {@code remote.<name>.lfsurl} (as git-lfs orders them), then a local path or
     * {@code file://} URL as a repository on disk, then the LFS URL derived from the remote's URL.
     */
    private static Optional<ObjectRemote> forUrl(Path dir, Settings settings, String name, Optional<String> url) throws IOException {
        Optional<String> lfsUrl = settings.lfsUrl(name);
        if (lfsUrl.isPresent()) return Optional.of(lfs(dir, settings, URI.create(lfsUrl.get())));
        if (url.isEmpty()) return Optional.empty();
        Optional<Path> local = localGitDir(dir, url.get());
        if (local.isPresent()) return Optional.of(LocalRemote.of(local.get()));
        Optional<URI> derived = LfsEndpoint.fromRemoteUrl(url.get());
        return derived.isEmpty() ? Optional.empty() : Optional.of(lfs(dir, settings, derived.get()));
    }

    private static ObjectRemote lfs(Path dir, Settings settings, URI endpoint) throws IOException {
        int concurrency = settings.concurrentTransfers();
        LfsClient.Options defaults = LfsClient.Options.defaults();
        return new LfsClient(endpoint, new GitCredentials(dir),
                new LfsClient.Options(concurrency, defaults.attempts(), defaults.firstBackoff()), TerminalTransferProgress.forStderr());
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
