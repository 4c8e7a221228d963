package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.gittheta.cli.demo.DemoModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Figures for docs/performance.md, not a test: runs only with {@code -Dtheta.bench=remotes}.
 * mvn -B -ntp -o test -pl git-theta-cli -am -Dtest=RemotesBench -Dtheta.bench=remotes
 * -Dsurefire.failIfNoSpecifiedTests=false
 * ({@code -Dtheta.bench.large=true}: a 1 GiB checkpoint instead of 272 MiB).
 */
@EnabledIfSystemProperty(named = "theta.bench", matches = "remotes")
class RemotesBench extends RemotesGitFixture {
    @Test
    void pushAndCloneThroughTheLocalServer() throws Exception {
        Path a = lfsRepo("a");
        DemoModel model = Boolean.getBoolean("theta.bench.large")
                ? new DemoModel(2048, 5632, 8, 32000)
                : new DemoModel(1024, 2816, 6, 32000);
        model.write(a.resolve("model.safetensors"), n -> false, 0, 0);
        long fileBytes = Files.size(a.resolve("model.safetensors"));
        git(a, "add", ".");
        git(a, "commit", "-q", "-m", "base");
        long t0 = System.nanoTime();
        git(a, "push", "-q", "origin", "main");
        long t1 = System.nanoTime();
        git(tmp, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
        long t2 = System.nanoTime();
        assertThat(Files.mismatch(a.resolve("model.safetensors"), tmp.resolve("b/model.safetensors")))
                .isEqualTo(-1);
        System.out.printf(
                "BENCH checkpoint %.1f MiB; server holds %d objects, %.1f MiB; push %.1f s; clone %.1f s%n",
                fileBytes / 1048576.0,
                server.objectCount(),
                server.bytes() / 1048576.0,
                (t1 - t0) / 1e9,
                (t2 - t1) / 1e9);
    }

    @Test
    void cloneFetchesOnlyTheLatestOfFiveVersions() throws Exception {
        Path a = lfsRepo("a");
        git(a, "add", ".gitattributes");
        for (int v = 0; v < 5; v++) {
            String tuned = "layers." + (v - 1) + ".";
            DemoModel.small().write(a.resolve("model.safetensors"), n -> n.contains(tuned), 0.01, v);
            git(a, "add", "model.safetensors");
            git(a, "commit", "-q", "-m", "v" + v);
        }
        git(a, "push", "-q", "origin", "main");
        git(tmp, "clone", "-q", "-c", "lfs.url=" + server.url(), "remote.git", "b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), tmp.resolve("b/model.safetensors")))
                .isEqualTo(-1);
        System.out.printf(
                "BENCH 5 versions: server %d objects, %.2f MiB; clone of the latest fetched %d objects, %.2f MiB%n",
                server.objectCount(),
                server.bytes() / 1048576.0,
                storeCount(tmp.resolve("b/.git")),
                storeBytes(tmp.resolve("b/.git")) / 1048576.0);
    }
}
