package org.gittheta.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.gittheta.transfer.Credentials;

/**
 * Credentials from {@code git credential fill}, so whatever helper the user configured (store, cache, libsecret,
 * a script) answers Git LFS servers as it answers git. Its standard input is a pipe of ours, never the
 * caller's: in the filter process that stream carries git's protocol.
 */
final class GitCredentials implements Credentials {
    private final Path dir;

    GitCredentials(Path dir) {
        this.dir = dir;
    }

    @Override
    public Optional<Credential> fill(URI url) throws IOException {
        Map<String, String> answer = run("fill", describe(url));
        String user = answer.get("username");
        String password = answer.get("password");
        return user == null || password == null ? Optional.empty() : Optional.of(new Credential(user, password));
    }

    @Override
    public void approve(URI url, Credential c) throws IOException {
        run("approve", describe(url, c));
    }

    @Override
    public void reject(URI url, Credential c) throws IOException {
        run("reject", describe(url, c));
    }

    private static String describe(URI url) {
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
        String path = url.getPath() == null ? "" : url.getPath().replaceFirst("^/", "");
        return "protocol=" + url.getScheme() + "\nhost=" + host + "\npath=" + path + "\n";
    }

    private static String describe(URI url, Credential c) {
        return describe(url) + "username=" + c.username() + "\npassword=" + c.password() + "\n";
    }

    private Map<String, String> run(String action, String input) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("git", "credential", action).directory(dir.toFile());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT); // helpers may prompt there
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((input + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int exit = p.waitFor();
            if (exit != 0) return Map.of(); // e.g. no helper and no terminal to prompt on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git credential " + action, e);
        }
        Map<String, String> answer = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) answer.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return answer;
    }
}
