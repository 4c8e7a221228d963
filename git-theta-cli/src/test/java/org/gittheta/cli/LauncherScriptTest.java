package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.gittheta.testing.Command;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/lib/java.sh, which bin/git-theta runs before every JVM start: when to rebuild, and which JDK to use. Runs the
 * script against a fake project and fake JDKs (scripts with a release file), so no JVM or build is started.
 */
class LauncherScriptTest {
    private static final Path JAVA_SH = GitRepoFixture.LAUNCHER.resolveSibling("lib/java.sh");
    private static final Instant SOURCES_TIME = Instant.now().minusSeconds(3600);

    @TempDir
    Path root;

    Path jar;
    Path mainSource;

    @BeforeEach
    void fakeProject() throws IOException {
        Files.createDirectories(root.resolve("bin/lib"));
        Files.copy(JAVA_SH, root.resolve("bin/lib/java.sh"));
        for (String module : new String[] {"git-theta-core", "filters", "git-theta-cli"}) {
            write(module + "/pom.xml");
            write(module + "/src/main/java/org/x/" + module.replace("-", "") + ".java");
            write(module + "/src/test/java/org/x/" + module.replace("-", "") + "Test.java");
        }
        write("pom.xml");
        write("git-theta-cli/target/classes/org/x/Compiled.class");
        mainSource = root.resolve("filters/src/main/java/org/x/filters.java");
        try (var files = Files.walk(root)) {
            for (Path p : files.toList()) Files.setLastModifiedTime(p, FileTime.from(SOURCES_TIME));
        }
        jar = write("git-theta-cli/target/git-theta.jar");
        Files.setLastModifiedTime(jar, FileTime.from(SOURCES_TIME.plusSeconds(60)));
    }

    @Test
    void anUnchangedTreeNeedsNoBuild() throws IOException {
        assertThat(needsBuild()).isFalse();
    }

    @Test
    void editingAMainSourceOrAPomNeedsABuild() throws IOException {
        touch(mainSource);
        assertThat(needsBuild()).isTrue();
        Files.setLastModifiedTime(mainSource, FileTime.from(SOURCES_TIME));
        touch(root.resolve("git-theta-core/pom.xml"));
        assertThat(needsBuild()).isTrue();
        Files.setLastModifiedTime(root.resolve("git-theta-core/pom.xml"), FileTime.from(SOURCES_TIME));
        touch(root.resolve("pom.xml"));
        assertThat(needsBuild()).isTrue();
    }

    @Test
    void addingAMainSourceNeedsABuild() throws IOException {
        write("git-theta-cli/src/main/java/org/x/Added.java");
        assertThat(needsBuild()).isTrue();
    }

    @Test
    void deletingAMainSourceNeedsABuild() throws IOException {
        Files.delete(mainSource);
        assertThat(needsBuild()).isTrue();
    }

    @Test
    void testSourcesAndBuildOutputDoNotNeedABuild() throws IOException {
        touch(root.resolve("git-theta-core/src/test/java/org/x/gitthetacoreTest.java"));
        touch(root.resolve("git-theta-cli/target/classes/org/x/Compiled.class"));
        assertThat(needsBuild()).isFalse();
    }

    @Test
    void aMissingJarNeedsABuild() throws IOException {
        Files.delete(jar);
        assertThat(needsBuild()).isTrue();
    }

    @Test
    void theStartUpCacheIsCurrentUntilTheJarOrTheJvmFlagsChangeAndAFailureIsNotRetried() throws IOException {
        Path aot = write("git-theta-cli/target/git-theta.aot");
        Files.setLastModifiedTime(aot, FileTime.from(SOURCES_TIME.plusSeconds(120)));
        assertThat(needsAot()).isFalse();
        touch(jar);
        assertThat(needsAot()).isTrue();
        touch(write("git-theta-cli/target/git-theta.aot.failed"));
        assertThat(needsAot()).isFalse();
        touch(root.resolve("bin/lib/java.sh"));
        assertThat(needsAot()).isTrue();
    }

    /** A filter process starts with the cache trained on the filter alone; every other command with the other. */
    @Test
    void aFilterProcessStartsWithTheFiltersOwnCacheAndOtherCommandsWithTheCommonOne() throws IOException {
        assertThat(aotFlags("filter-process")).isEmpty();
        Path aot = write("git-theta-cli/target/git-theta.aot");
        Files.setLastModifiedTime(aot, FileTime.from(SOURCES_TIME.plusSeconds(120)));
        assertThat(aotFlags("filter-process")).isEqualTo("-XX:AOTCache=" + aot);
        Path filterAot = write("git-theta-cli/target/git-theta-filter.aot");
        Files.setLastModifiedTime(filterAot, FileTime.from(SOURCES_TIME.plusSeconds(120)));
        assertThat(aotFlags("filter-process")).isEqualTo("-XX:AOTCache=" + filterAot);
        assertThat(aotFlags("merge-driver")).isEqualTo("-XX:AOTCache=" + aot);
        assertThat(aotFlags("--version")).isEqualTo("-XX:AOTCache=" + aot);
        touch(jar); // both stale: no cache
        assertThat(aotFlags("filter-process")).isEmpty();
        assertThat(aotFlags("merge-driver")).isEmpty();
    }

    @Test
    void theFirstJdk25FoundIsRememberedAndAnOlderJavaHomeIsSkipped() throws IOException {
        Path jdk17 = fakeJdk("jvm/jdk-17", "17.0.12");
        Path jdk25 = fakeJdk("jvm/jdk-25", "25.0.1");
        Command.Result found = findJava(jdk17, root.resolve("jvm") + "/*");
        assertThat(found.exit()).as(found.err()).isZero();
        assertThat(found.out()).isEqualTo(jdk25 + "\n");
        assertThat(Files.readString(root.resolve("git-theta-cli/target/java-home"))
                        .strip())
                .isEqualTo(jdk25.toString());
        // later calls take the remembered JDK without searching
        assertThat(findJava(null, root.resolve("nowhere").toString()).out()).isEqualTo(jdk25 + "\n");
    }

    @Test
    void aJavaHomeOf25OrNewerWinsOverTheRememberedJdk() throws IOException {
        Path remembered = fakeJdk("jvm/jdk-25", "25.0.1");
        assertThat(findJava(null, root.resolve("jvm") + "/*").out()).isEqualTo(remembered + "\n");
        Path javaHome = fakeJdk("elsewhere/jdk-26", "26");
        assertThat(findJava(javaHome, root.resolve("jvm") + "/*").out()).isEqualTo(javaHome + "\n");
    }

    @Test
    void aJdkWithoutReleaseFileIsAskedForItsVersion() throws IOException {
        Path jdk = fakeJdk("jvm/custom", null);
        assertThat(findJava(null, root.resolve("jvm") + "/*").out()).isEqualTo(jdk + "\n");
    }

    @Test
    void withoutAJdk25ItSaysWhatToInstallEvenIfTheRememberedOneWasRemoved() throws IOException {
        Path jdk17 = fakeJdk("jvm/jdk-17", "17.0.12");
        Path jdk25 = fakeJdk("jvm/jdk-25", "25.0.1");
        assertThat(findJava(null, root.resolve("jvm") + "/*").out()).isEqualTo(jdk25 + "\n");
        Files.delete(jdk25.resolve("bin/java"));
        Command.Result none = findJava(jdk17, root.resolve("jvm") + "/*");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err())
                .contains("needs a JDK 25 or newer and found none (JAVA_HOME=" + jdk17)
                .contains("install one, e.g. 'apt-get install temurin-25-jdk'");
    }

    @Test
    void aFilterStartedWhileSourcesChangedGetsGitsInputAfterTheRebuild() throws IOException {
        // git starts the filter with its protocol pipe as stdin: a build or training run reading it would take
        // git's first packets, and the filter would wait for a request that never comes
        Files.createDirectories(root.resolve("bin"));
        Files.copy(GitRepoFixture.LAUNCHER, root.resolve("bin/git-theta"));
        Path jdk = fakeJdk("jvm/jdk-25", "25.0.1");
        executable(jdk.resolve("bin/java"), "case \"$*\" in *' -jar '*) cat ;; *) exit 1 ;; esac\n");
        executable(root.resolve("tools/mvn"), "cat >\"$0.read\"; touch git-theta-cli/target/git-theta.jar\n");
        touch(mainSource);
        Path request = root.resolve("request");
        Files.writeString(request, "git-filter-client\n");

        Command.Result r = Command.of(root.resolve("bin/git-theta").toString(), "filter-process")
                .in(root)
                .env(Map.of("JAVA_HOME", jdk.toString(), "PATH", root.resolve("tools") + ":" + System.getenv("PATH")))
                .input(request)
                .timeout(Duration.ofMinutes(1))
                .run();

        assertThat(r.err()).contains("building");
        assertThat(root.resolve("tools/mvn.read")).isEmptyFile();
        assertThat(r.out()).isEqualTo("git-filter-client\n");
    }

    private boolean needsBuild() throws IOException {
        Command.Result r = bash(Map.of(), ". bin/lib/java.sh; theta_needs_build");
        assertThat(r.err()).isEmpty();
        return r.exit() == 0;
    }

    private boolean needsAot() throws IOException {
        Command.Result r = bash(Map.of(), ". bin/lib/java.sh; theta_needs_aot");
        assertThat(r.err()).isEmpty();
        return r.exit() == 0;
    }

    private String aotFlags(String command) throws IOException {
        Command.Result r =
                bash(Map.of(), ". bin/lib/java.sh; theta_aot_for " + command + "; echo \"${THETA_AOT_FLAGS[@]}\"");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        return r.out().strip();
    }

    /** THETA_JAVA_HOME as found with this JAVA_HOME (null: unset) and these search places. */
    private Command.Result findJava(Path javaHome, String searched) throws IOException {
        String env = javaHome == null ? "unset JAVA_HOME; " : "export JAVA_HOME='" + javaHome + "'; ";
        return bash(
                Map.of("GIT_THETA_JDK_DIRS", searched),
                env + ". bin/lib/java.sh; theta_find_java && echo \"$THETA_JAVA_HOME\"");
    }

    /** A JDK of that version, per its release file; without one, its java prints the version like a real one. */
    private Path fakeJdk(String dir, String version) throws IOException {
        Path home = root.resolve(dir);
        String java = "#!/bin/sh\necho '    java.specification.version = 25' >&2\n";
        for (String tool : new String[] {"java", "javac"}) {
            Path bin = write(dir + "/bin/" + tool);
            Files.writeString(bin, java);
            Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        if (version != null)
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Fake\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    private Command.Result bash(Map<String, String> env, String script) throws IOException {
        return Command.of("bash", "-c", "set -eu; " + script)
                .in(root)
                .env(env)
                .timeout(Duration.ofMinutes(1))
                .run();
    }

    private static void executable(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Path write(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, relative);
        return p;
    }

    private static void touch(Path p) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
    }
}
