package org.gittheta.transfer;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;

/**
 * git credential, with the user name and password an http(s) URL names ({@code https://user:token@host/...}, as a
 * Hugging Face remote often carries its token), used as git-lfs uses them: a password named so is sent as it is,
 * without asking git credential or storing it with its helpers; a user name alone is the one git credential is
 * asked a password for. The LFS URL's own are taken first, else those of the remote's URL on the same origin.
 */
public final class UrlCredentials implements Credentials {
    private final Credentials git;
    private final String user;
    private final Optional<String> password;

    private UrlCredentials(Credentials git, String user, Optional<String> password) {
        this.git = git;
        this.user = user;
        this.password = password;
    }

    /** The credentials for {@code endpoint}, an LFS URL as configured or derived from {@code remoteUrl}. */
    public static Credentials of(URI endpoint, Optional<String> remoteUrl, Credentials git) {
        Optional<String> named = Optional.ofNullable(endpoint.getUserInfo())
                .or(() -> remoteUrl
                        .filter(u -> u.startsWith("https://") || u.startsWith("http://"))
                        .flatMap(UrlCredentials::uri)
                        .filter(u -> LfsHttp.sameOrigin(u, endpoint))
                        .map(URI::getUserInfo));
        if (named.isEmpty()) return git;
        String[] userAndPassword = named.get().split(":", 2);
        return new UrlCredentials(
                git,
                userAndPassword[0],
                userAndPassword.length == 2 ? Optional.of(userAndPassword[1]) : Optional.empty());
    }

    private static Optional<URI> uri(String url) {
        try {
            return Optional.of(URI.create(url));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<Credential> fill(URI url) throws IOException {
        if (password.isPresent()) return Optional.of(new Credential(user, password.get()));
        try { // the user name goes with the URL git credential is asked about, as git asks for a URL naming one
            return git.fill(new URI(url.getScheme(), user, url.getHost(), url.getPort(), url.getPath(), null, null));
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    @Override
    public Optional<byte[]> askSsh(List<String> command) throws IOException {
        return git.askSsh(command);
    }

    @Override
    public void approve(URI url, Credential credential) throws IOException {
        if (password.isEmpty()) git.approve(url, credential);
    }

    @Override
    public void reject(URI url, Credential credential) throws IOException {
        if (password.isEmpty()) git.reject(url, credential);
    }
}
