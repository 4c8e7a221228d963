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
     * {@code https://host/path(.git)} becomes {@code https://host/path.git/info/lfs}; SSH and git:// URLs map to
     * https on the same host and path. Empty for local paths and {@code file://} URLs.
     */
    public static Optional<URI> fromRemoteUrl(String url) {
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
