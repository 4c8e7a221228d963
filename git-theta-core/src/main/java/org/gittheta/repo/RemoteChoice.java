package org.gittheta.repo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.eclipse.jgit.errors.ConfigInvalidException;
import org.eclipse.jgit.lib.Config;
import org.gittheta.config.Settings;
import org.gittheta.progress.Progress;
import org.gittheta.text.Printable;
import org.gittheta.transfer.Credentials;
import org.gittheta.transfer.HttpSettings;
import org.gittheta.transfer.LfsClient;
import org.gittheta.transfer.LfsEndpoint;
import org.gittheta.transfer.LocalRemote;
import org.gittheta.transfer.ObjectRemote;
import org.gittheta.transfer.SshAuthentication;
import org.gittheta.transfer.UrlCredentials;

/** Where objects come from and go to for a remote, chosen as git-lfs would choose it. */
final class RemoteChoice {
    /** A .lfsconfig holds a few lines; this much is not one. */
    private static final int LFS_CONFIG_LIMIT = 64 << 10;

    private final Settings settings;
    private final Path workTree;
    private final Credentials credentials;
    private final Progress progress;

    RemoteChoice(Settings settings, Path workTree, Credentials credentials, Progress progress) {
        this.settings = settings;
        this.workTree = workTree;
        this.credentials = credentials;
        this.progress = progress;
    }

    /** The named remote (or a URL given in its place, as {@code git push <url>} does); empty if it has no URL. */
    Optional<ObjectRemote> remote(String nameOrUrl) throws IOException {
        Optional<String> url = settings.remoteUrl(nameOrUrl);
        if (url.isEmpty() && (nameOrUrl.contains("/") || nameOrUrl.contains(":"))) url = Optional.of(nameOrUrl);
        return forUrl(nameOrUrl, url);
    }

    /** Where {@code git push <nameOrUrl>} sends: its {@code pushurl}, as git-lfs uploads there, else its URL. */
    Optional<ObjectRemote> pushRemote(String nameOrUrl) throws IOException {
        Optional<String> pushUrl = settings.remotePushUrl(nameOrUrl);
        return pushUrl.isPresent() ? forUrl(nameOrUrl, pushUrl) : remote(nameOrUrl);
    }

    /**
     * The remote when git has told both its name and its URL (the pre-push hook): {@code lfs.url}, then
     * {@code remote.<name>.lfsurl}, then a local path or {@code file://} URL as a repository on disk, then the
     * LFS URL derived from the remote's URL.
     */
    Optional<ObjectRemote> forUrl(String name, Optional<String> url) throws IOException {
        Optional<String> lfsUrl = lfsUrl(name);
        if (lfsUrl.isPresent()) {
            URI configured = LfsEndpoint.configured(lfsUrl.get());
            return Optional.of(lfs(configured, url, Optional.empty()));
        }
        if (url.isEmpty()) return Optional.empty();
        Optional<Path> local = localGitDir(url.get());
        if (local.isPresent()) return Optional.of(LocalRemote.of(local.get()));
        Optional<URI> derived = LfsEndpoint.fromRemoteUrl(url.get());
        if (derived.isEmpty()) return Optional.empty();
        Optional<SshAuthentication> ssh = LfsEndpoint.sshTarget(url.get())
                .map(target -> new SshAuthentication(sshCommand(), target, credentials));
        return Optional.of(lfs(derived.get(), url, ssh));
    }

    /**
     * The LFS API URL set for a remote, as git-lfs reads it: {@code lfs.url}, then {@code remote.<name>.lfsurl},
     * each from git's configuration or else from the {@code .lfsconfig} file that comes with the repository (at the
     * work tree's top). Only these keys of that file are read.
     */
    private Optional<String> lfsUrl(String remote) throws IOException {
        Optional<String> configured = settings.get("lfs.url");
        if (configured.isPresent()) return configured;
        Config carried = lfsConfig();
        return Optional.ofNullable(carried.getString("lfs", null, "url"))
                .or(() -> settings.get("remote." + remote + ".lfsurl"))
                .or(() -> Optional.ofNullable(carried.getString("remote", remote, "lfsurl")));
    }

    private Config lfsConfig() throws IOException {
        Path file = workTree.resolve(".lfsconfig");
        Config config = new Config();
        if (!Files.isRegularFile(file)) return config;
        byte[] text;
        try (InputStream in = Files.newInputStream(file)) {
            text = in.readNBytes(LFS_CONFIG_LIMIT + 1);
        }
        if (text.length > LFS_CONFIG_LIMIT) {
            throw new IOException(file + ": larger than " + (LFS_CONFIG_LIMIT >> 10) + " KiB, not a .lfsconfig");
        }
        try {
            config.fromText(new String(text, StandardCharsets.UTF_8));
        } catch (ConfigInvalidException e) {
            throw new IOException(file + ": not a git configuration file: " + Printable.escape(e.getMessage()), e);
        }
        return config;
    }

    /**
     * The LFS server at {@code endpoint}, with the user name and password it or the remote's URL names, which go
     * nowhere else (not even into messages: the endpoint is named without them).
     */
    private ObjectRemote lfs(URI endpoint, Optional<String> remoteUrl, Optional<SshAuthentication> ssh)
            throws IOException {
        LfsClient.Options defaults = LfsClient.Options.defaults();
        return new LfsClient(
                LfsEndpoint.withoutUserInfo(endpoint),
                UrlCredentials.of(endpoint, remoteUrl, credentials),
                ssh,
                httpSettings(),
                new LfsClient.Options(
                        settings.concurrentTransfers(),
                        settings.transferAttempts(defaults.attempts()),
                        defaults.firstBackoff(),
                        settings.activityTimeout(defaults.activityTimeout())),
                progress);
    }

    /** git's {@code http.*} settings and the process's proxy variables, which git-lfs reads as git does. */
    private HttpSettings httpSettings() {
        return new HttpSettings(
                settings.entries(key -> key.startsWith("http.")).stream()
                        .map(e -> new HttpSettings.Entry(e.key(), e.value()))
                        .toList(),
                settings.environment());
    }

    /**
     * The ssh that git runs: {@code GIT_SSH_COMMAND}, else {@code core.sshCommand} (both run by the shell, with the
     * arguments after them), else the program {@code GIT_SSH}, else {@code ssh}.
     */
    private List<String> sshCommand() {
        Optional<String> command = Optional.ofNullable(settings.environment().get("GIT_SSH_COMMAND"))
                .filter(c -> !c.isBlank())
                .or(() -> settings.get("core.sshCommand"));
        if (command.isPresent()) return List.of("sh", "-c", command.get() + " \"$@\"", command.get());
        String program = settings.environment().get("GIT_SSH");
        return List.of(program == null || program.isBlank() ? "ssh" : program);
    }

    /**
     * The git directory a local URL (a path, relative as git reads it to the work tree's top, or {@code file://})
     * points at.
     */
    private Optional<Path> localGitDir(String url) {
        Path path;
        if (url.startsWith("file://")) {
            path = fileUrlPath(url);
        } else if (url.contains("://") || url.matches("^[^/]+:.*")) {
            return Optional.empty();
        } else {
            path = workTree.resolve(url);
        }
        Path dotGit = path.resolve(".git");
        return Optional.of(Files.isDirectory(dotGit) ? dotGit : path);
    }

    /**
     * The path of a {@code file://} URL as git reads it: {@code %XX} escapes decoded (a {@code %} that starts none
     * kept), the host, if one is named, left out, and other characters, such as spaces, taken as they are.
     */
    private static Path fileUrlPath(String url) {
        byte[] text = url.substring("file://".length()).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream decoded = new ByteArrayOutputStream(text.length);
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '%'
                    && i + 2 < text.length
                    && HexFormat.isHexDigit(text[i + 1])
                    && HexFormat.isHexDigit(text[i + 2])) {
                decoded.write(HexFormat.fromHexDigits(new String(text, i + 1, 2, StandardCharsets.US_ASCII)));
                i += 2;
            } else {
                decoded.write(text[i]);
            }
        }
        String hostAndPath = decoded.toString(StandardCharsets.UTF_8);
        return Path.of(hostAndPath.substring(Math.max(0, hostAndPath.indexOf('/'))));
    }
}
