package org.gittheta.transfer;

import java.net.URI;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Git LFS API URL for a Git remote URL, derived as git-lfs does when {@code lfs.url} is not set. */
public final class LfsEndpoint {
    private static final Pattern SCP_LIKE = Pattern.compile("^(?:[^@/]+@)?([^:/]+):(.+)$");

    private LfsEndpoint() {}

    /**
     * Where an SSH remote's server is asked for its LFS token: {@code [user@]host}, the port if the URL names one,
     * and the repository's path as git gives it to the server (an scp-like URL's path as written, an
     * {@code ssh://} URL's from its leading slash).
     */
    public record SshTarget(String userAndHost, Optional<Integer> port, String path) {}

    /**
     * The SSH side of {@code ssh://}, {@code git+ssh://} and scp-like ({@code [user@]host:path}) remote URLs; empty
     * for any other URL, and for a host that ssh would read as an option.
     */
    public static Optional<SshTarget> sshTarget(String url) {
        SshTarget target;
        if (url.startsWith("ssh://") || url.startsWith("git+ssh://")) {
            URI u;
            try {
                u = URI.create(url.replaceFirst("^git\\+ssh://", "ssh://"));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            if (u.getHost() == null || u.getRawPath() == null) return Optional.empty();
            String user = u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@";
            target = new SshTarget(
                    user + u.getHost(), u.getPort() < 0 ? Optional.empty() : Optional.of(u.getPort()), u.getRawPath());
        } else if (url.contains("://")) {
            return Optional.empty();
        } else {
            Matcher m = SCP_LIKE.matcher(url);
            if (!m.matches() || m.group(1).contains("\\")) return Optional.empty();
            int colon = url.indexOf(':', url.indexOf('@') + 1);
            target = new SshTarget(url.substring(0, colon), Optional.empty(), m.group(2));
        }
        return target.userAndHost().startsWith("-") ? Optional.empty() : Optional.of(target);
    }

    /**
     * {@code https://host/path(.git)} becomes {@code https://host/path.git/info/lfs}; SSH and git:// URLs map to
     * https on the same host and path. Empty for local paths and {@code file://} URLs.
     */
    public static Optional<URI> fromRemoteUrl(String url) throws LfsProtocolException {
        try {
            return derived(url);
        } catch (IllegalArgumentException e) {
            throw new LfsProtocolException("the remote URL '" + LfsHttp.oneLine(url, 200)
                    + "' is not a URL a Git LFS URL can be derived from; set lfs.url");
        }
    }

    /** The Git LFS API URL that {@code lfs.url} or {@code remote.<name>.lfsurl} sets. */
    public static URI configured(String url) throws LfsProtocolException {
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new LfsProtocolException("the Git LFS URL '" + LfsHttp.oneLine(url, 200) + "' is not a URL");
        }
    }

    /** {@code endpoint} without the user name and password it may name. */
    public static URI withoutUserInfo(URI endpoint) {
        if (endpoint.getRawUserInfo() == null) return endpoint;
        return URI.create(endpoint.getScheme() + "://" + hostPort(endpoint) + endpoint.getRawPath()
                + (endpoint.getRawQuery() == null ? "" : "?" + endpoint.getRawQuery()));
    }

    private static Optional<URI> derived(String url) {
        String base;
        if (url.startsWith("https://") || url.startsWith("http://")) {
            URI u = URI.create(url);
            base = u.getScheme() + "://" + hostPort(u) + u.getRawPath();
        } else if (url.startsWith("ssh://") || url.startsWith("git+ssh://") || url.startsWith("git://")) {
            URI u = URI.create(url.replaceFirst("^git\\+ssh://", "ssh://"));
            base = "https://" + u.getHost() + u.getRawPath();
        } else if (url.contains("://")) {
            return Optional.empty();
        } else {
            Matcher m = SCP_LIKE.matcher(url);
            if (!m.matches() || m.group(1).contains("\\")) return Optional.empty();
            String path = m.group(2);
            base = "https://" + m.group(1) + (path.startsWith("/") ? "" : "/") + path;
        }
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        if (!base.endsWith(".git")) base += ".git";
        return Optional.of(URI.create(base + "/info/lfs"));
    }

    private static String hostPort(URI u) {
        return u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
    }
}
