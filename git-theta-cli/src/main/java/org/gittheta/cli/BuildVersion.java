package org.gittheta.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version this program was built as: {@code version.properties}, written at build time with the Maven version
 * and, for a build inside the project's checkout, the commit.
 */
public record BuildVersion(String version, String commit) {
    private static final String SNAPSHOT = "-SNAPSHOT";

    public static BuildVersion current() {
        try (InputStream in = BuildVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) return new BuildVersion("", "");
            Properties p = new Properties();
            p.load(in);
            return new BuildVersion(p.getProperty("version", ""), p.getProperty("commit", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read version.properties from the jar", e);
        }
    }

    /** {@code git-theta 0.2.0} for a release, {@code git-theta 0.2.0 (dev, abc1234)} for a development build. */
    public String describe() {
        if (version.isEmpty()) return "git-theta (version unknown: built without version.properties)";
        if (!version.endsWith(SNAPSHOT)) return "git-theta " + version;
        String number = version.substring(0, version.length() - SNAPSHOT.length());
        return "git-theta " + number + (commit.isEmpty() ? " (dev)" : " (dev, " + commit + ")");
    }
}
