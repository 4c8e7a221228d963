package org.gittheta.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gittheta.transfer.LocalRemote;
import org.gittheta.transfer.ObjectSource;

/** Finds where missing objects come from: the configured remote, as git-lfs would pick it. */
final class Remotes {
    private Remotes() {}

    /** {@code theta.remote}, else {@code origin}, else the only remote there is. */
    static Optional<String> defaultRemote(Path dir) throws IOException {
        Optional<String> configured = Git.config(dir, "theta.remote");
        if (configured.isPresent()) return configured;
        List<String> remotes = Git.exec(dir, "remote").out().lines().toList();
        if (remotes.contains("origin")) return Optional.of("origin");
        return remotes.size() == 1 ? Optional.of(remotes.getFirst()) : Optional.empty();
    }

    static Optional<ObjectSource> source(Path dir, String remote) throws IOException {
        Optional<String> url = Git.config(dir, "remote." + remote + ".url");
        if (url.isEmpty()) return Optional.empty();
        return localGitDir(dir, url.get()).map(LocalRemote::of);
    }

    static Optional<ObjectSource> defaultSource(Path dir) throws IOException {
        Optional<String> remote = defaultRemote(dir);
        return remote.isEmpty() ? Optional.empty() : source(dir, remote.get());
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
