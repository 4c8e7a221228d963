package org.gittheta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.Shape;
import org.gittheta.testing.Command;
import org.gittheta.testing.GitSandbox;
import org.gittheta.testing.StoreFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** git theta diff/log/show and plain git log -p/show on tracked checkpoints, with real git. */
class HistoryE2ETest {

    @TempDir
    Path home;

    private Path repo;
    private GitSandbox sandbox;

    @BeforeEach
    void setUp() throws Exception {
        sandbox = GitRepoFixture.sandbox(home);
        repo = home.resolve("repo");
        Files.createDirectories(repo);
        ok("git", "init", "-q", "-b", "main");
        ok("git", "theta", "install", "--local");
        ok("git", "theta", "track", "*.safetensors");
    }

    private Command.Result run(String... cmd) throws IOException {
        return sandbox.run(repo, cmd);
    }

    private String ok(String... cmd) throws IOException {
        return sandbox.ok(repo, cmd);
    }

    private static SafetensorsWriter.Tensor tensor(String name, Shape shape, float[] v) {
        return new SafetensorsWriter.Tensor(name, DType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) b.putFloat(f);
            out.write(b.array());
        });
    }

    private void write(Map<String, float[]> params) throws IOException {
        write(params, Map.of());
    }

    private void write(Map<String, float[]> params, Map<String, Shape> shapes) throws IOException {
        write(params, shapes, Map.of());
    }

    private void write(Map<String, float[]> params, Map<String, Shape> shapes, Map<String, String> metadata)
            throws IOException {
        List<SafetensorsWriter.Tensor> ts = new ArrayList<>();
        params.forEach((n, v) -> ts.add(tensor(n, shapes.getOrDefault(n, Shape.of(v.length)), v)));
        try (OutputStream out = Files.newOutputStream(repo.resolve("model.safetensors"))) {
            SafetensorsWriter.write(ts, metadata, out);
        }
    }

    private static float[] base(int n, int seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(seed * 1000 + i);
        return v;
    }

    /** {@link #model()} written, staged with the attributes and committed with {@code message}. */
    private Map<String, float[]> committedModel(String message) throws IOException {
        Map<String, float[]> m = model();
        write(m);
        ok("git", "add", ".gitattributes", "model.safetensors");
        ok("git", "commit", "-q", "-m", message);
        return m;
    }

    private static Map<String, float[]> model() {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) m.put("layer" + i + ".weight", base(1000 + i, i));
        return m;
    }

    @Test
    void diffJsonReportsExactlyTheChangedParametersWithTheirStatistics() throws Exception {
        Map<String, float[]> m = committedModel("base");
        Map<String, float[]> before = new LinkedHashMap<>();
        m.forEach((k, v) -> before.put(k, v.clone()));
        // three known changes: 10 elements +0.5, every 3rd element ×1.01, one element set to 7
        for (int i = 0; i < 10; i++) m.get("layer1.weight")[i] += 0.5f;
        for (int i = 0; i < m.get("layer3.weight").length; i += 3) m.get("layer3.weight")[i] *= 1.01f;
        m.get("layer4.weight")[500] = 7f;
        write(m);
        ok("git", "commit", "-q", "-am", "tune");

        for (List<String> cmd : List.of(
                List.of("git", "theta", "diff", "--json", "HEAD~1", "HEAD"),
                List.of("git", "theta", "diff", "--json", "HEAD~1"))) {
            Map<String, Object> json = parse(ok(cmd.toArray(String[]::new)));
            Map<String, Object> file = list(json.get("files")).getFirst();
            assertThat(file.get("path")).isEqualTo("model.safetensors");
            List<Map<String, Object>> params = list(file.get("params"));
            assertThat(params)
                    .extracting(p -> p.get("name"))
                    .containsExactly("layer1.weight", "layer3.weight", "layer4.weight");
            for (Map<String, Object> p : params) {
                String name = (String) p.get("name");
                float[] a = before.get(name);
                float[] b = m.get(name);
                long changed = 0;
                double sq = 0, max = 0, na = 0, nb = 0, dot = 0;
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != b[i]) changed++;
                    double d = (double) b[i] - a[i];
                    sq += d * d;
                    max = Math.max(max, Math.abs(d));
                    na += (double) a[i] * a[i];
                    nb += (double) b[i] * b[i];
                    dot += (double) a[i] * b[i];
                }
                assertThat(p.get("status")).isEqualTo("modified");
                assertThat(((Number) p.get("changedElements")).longValue()).isEqualTo(changed);
                assertThat(num(p, "l2")).isCloseTo(Math.sqrt(sq), within(1e-9));
                assertThat(num(p, "maxAbs")).isCloseTo(max, within(1e-12));
                assertThat(num(p, "relative")).isCloseTo(Math.sqrt(sq) / Math.sqrt(na), within(1e-9));
                assertThat(num(p, "cosine")).isCloseTo(dot / Math.sqrt(na * nb), within(1e-12));
            }
            Map<String, Object> summary = map(file.get("summary"));
            assertThat(summary.get("changed")).isEqualTo(3);
            assertThat(summary.get("parameters")).isEqualTo(6);
        }
        assertThat(ok("git", "theta", "diff", "HEAD~1", "HEAD"))
                .contains("layer1.weight", "3 of 6 parameters changed")
                .doesNotContain("layer0.weight");
        assertThat(ok("git", "theta", "diff", "--stat", "HEAD~1", "HEAD"))
                .contains("model.safetensors | 3 of 6 parameters changed");

        // plain git names the changed parameters from the manifest text
        for (String out : List.of(ok("git", "log", "-p", "-1"), ok("git", "show", "HEAD"))) {
            assertThat(out)
                    .contains("+param layer1.weight", "-param layer3.weight", "+param layer4.weight")
                    .doesNotContain(
                            "-param layer0.weight",
                            "+param layer0.weight",
                            "-param layer2.weight",
                            "+param layer2.weight");
        }
        assertThat(ok("git", "log", "--stat", "-1")).contains("model.safetensors | 6 +++---");
        // blame attributes each parameter line to the commit that last changed that parameter
        String tune = ok("git", "rev-parse", "--short=8", "HEAD").strip();
        String blame = ok("git", "blame", "--abbrev=7", "HEAD", "--", "model.safetensors");
        assertThat(blame.lines().filter(l -> l.contains("param layer1.weight")))
                .singleElement()
                .asString()
                .startsWith(tune);
        assertThat(blame.lines().filter(l -> l.contains("param layer0.weight")))
                .singleElement()
                .asString()
                .doesNotStartWith(tune);
    }

    @Test
    void workingTreeDiffReadsTheFileWithoutStoringAnything() throws Exception {
        Map<String, float[]> m = committedModel("base");
        assertThat(ok("git", "theta", "diff")).isEmpty();
        assertThat(ok("git", "theta", "diff", "--stat"))
                .as("nothing, as git diff --stat")
                .isEmpty();
        // an untracked checkpoint is no change, as git diff has it
        Files.copy(repo.resolve("model.safetensors"), repo.resolve("new.safetensors"));
        assertThat(ok("git", "theta", "diff", "HEAD")).isEmpty();
        // named too: it is in the working tree, not a path that does not exist
        assertThat(ok("git", "theta", "diff", "new.safetensors")).isEmpty();
        assertThat(ok("git", "theta", "diff", "HEAD", "--", "new.safetensors")).isEmpty();
        Files.delete(repo.resolve("new.safetensors"));
        long objects = StoreFiles.count(repo.resolve(".git"));
        m.get("layer2.weight")[0] = 42f;
        write(m);
        String out = ok("git", "theta", "diff");
        assertThat(out).contains("modified  layer2.weight", "1 of 6 parameters changed, 1 of");
        assertThat(StoreFiles.count(repo.resolve(".git"))).isEqualTo(objects);
        assertThat(ok("git", "theta", "diff", "--cached")).isEmpty();
        ok("git", "add", "model.safetensors");
        assertThat(ok("git", "theta", "diff", "--cached")).contains("layer2.weight");
        assertThat(ok("git", "theta", "diff")).isEmpty();
    }

    /** git status says the file changed: so do diff and log, though no parameter did. */
    @Test
    void aChangeOfTheMetadataAloneIsListed() throws Exception {
        Map<String, float[]> m = committedModel("base");
        write(m, Map.of(), Map.of("format", "pt"));
        assertThat(ok("git", "status", "--porcelain")).isEqualTo(" M model.safetensors\n");
        String said = "0 of 6 parameters changed, 0 of 6.0K elements; the file's metadata or layout changed";
        assertThat(ok("git", "theta", "diff"))
                .isEqualTo("diff --theta model.safetensors (index → working tree)\n" + said + "\n");
        assertThat(ok("git", "theta", "diff", "--stat")).contains(" model.safetensors | " + said);
        Map<String, Object> summary =
                map(list(parse(ok("git", "theta", "diff", "--json")).get("files"))
                        .getFirst()
                        .get("summary"));
        assertThat(summary.get("skeletonChanged")).isEqualTo(true);
        ok("git", "commit", "-q", "-am", "metadata");
        assertThat(ok("git", "theta", "log")).contains("metadata\n    " + said);
    }

    /** --follow continues beyond a rename, as git log --follow; without it the history starts at the new name. */
    @Test
    void followContinuesBeyondARename() throws Exception {
        commitBaseAndTune();
        ok("git", "mv", "model.safetensors", "renamed.safetensors");
        ok("git", "commit", "-q", "-m", "rename");
        Map<String, Object> log = parse(ok("git", "theta", "log", "--follow", "renamed.safetensors", "--json"));
        List<Map<String, Object>> commits = list(log.get("commits"));
        assertThat(commits).extracting(c -> c.get("subject")).containsExactly("rename", "tune", "base");
        assertThat(commits.getFirst().get("renamedFrom")).isEqualTo("model.safetensors");
        assertThat(map(commits.getFirst().get("summary")).get("changed")).isEqualTo(0);
        assertThat(map(commits.get(1).get("summary")).get("changed")).isEqualTo(1);
        assertThat(ok("git", "theta", "log", "--follow")).contains("    renamed from model.safetensors\n");
        // diff pairs the paths as git diff does: nothing removed and added, nothing stored
        assertThat(ok("git", "theta", "diff", "--stat", "HEAD~1", "HEAD"))
                .isEqualTo(" model.safetensors => renamed.safetensors | 0 of 6 parameters changed, 0 of 6.0K elements,"
                        + " 0 B stored\n 1 checkpoint changed\n");
        assertThat(list(parse(ok("git", "theta", "diff", "--json", "HEAD~1", "HEAD"))
                        .get("files")))
                .extracting(f -> f.get("path") + " from " + f.get("renamedFrom"))
                .containsExactly("renamed.safetensors from model.safetensors");
        assertThat(list(parse(ok("git", "theta", "log", "renamed.safetensors", "--json"))
                        .get("commits")))
                .extracting(c -> c.get("subject"))
                .containsExactly("rename");
    }

    @Test
    void addedRemovedAndReshapedParameters() throws Exception {
        Map<String, float[]> m = committedModel("base");
        m.remove("layer0.weight");
        m.put("extra.bias", new float[] {1, 2, 3});
        write(m, Map.of("layer5.weight", Shape.of(5, 201)));
        ok("git", "commit", "-q", "-am", "restructure");
        List<Map<String, Object>> params = list(list(parse(ok("git", "theta", "diff", "--json", "HEAD~1", "HEAD"))
                        .get("files"))
                .getFirst()
                .get("params"));
        assertThat(params)
                .extracting(p -> p.get("name") + " " + p.get("status"))
                .containsExactly("extra.bias added", "layer0.weight removed", "layer5.weight modified");
        Map<String, Object> reshaped = params.get(2);
        assertThat(map(reshaped.get("before")).get("shape")).isEqualTo(List.of(1005));
        assertThat(map(reshaped.get("after")).get("shape")).isEqualTo(List.of(5, 201));
        assertThat(reshaped.get("changedElements")).isEqualTo(0);
        assertThat(params.getFirst().get("before")).isNull();
        assertThat(ok("git", "theta", "diff", "HEAD~1", "HEAD")).contains("[1005]→[5,201]");
    }

    @Test
    void logOfOneParameterOverFiveCommits() throws Exception {
        Map<String, float[]> m = committedModel("c1");
        for (int c = 2; c <= 5; c++) {
            m.get("layer2.weight")[c] += c; // ‖Δ‖ = c exactly (small integers added to values in (-1, 1))
            m.get("layer4.weight")[0] += 0.25f;
            write(m);
            ok("git", "commit", "-q", "-am", "c" + c);
        }
        Map<String, Object> log =
                parse(ok("git", "theta", "log", "model.safetensors", "--param", "layer2.*", "--json"));
        List<Map<String, Object>> commits = list(log.get("commits"));
        assertThat(commits).extracting(c -> c.get("subject")).containsExactly("c5", "c4", "c3", "c2", "c1");
        for (int i = 0; i < 4; i++) {
            Map<String, Object> p = list(commits.get(i).get("params")).getFirst();
            assertThat(p.get("name")).isEqualTo("layer2.weight");
            assertThat(num(p, "l2")).isCloseTo(5 - i, within(1e-6));
        }
        assertThat(list(commits.get(4).get("params")).getFirst().get("status")).isEqualTo("added");
        String lastTwo = ok("git", "theta", "log", "-n", "2");
        assertThat(lastTwo).contains("2 of 6 parameters changed");
        // commit lines are "<hash> <date> <subject>"; a hash may contain "c3" by chance, so compare subjects
        assertThat(lastTwo.lines().filter(l -> !l.startsWith(" ")).map(l -> l.substring(l.lastIndexOf(' ') + 1)))
                .containsExactly("c5", "c4");
        assertThat(ok("git", "theta", "log", "-2")).as("git log's -<n>").isEqualTo(lastTwo);
        assertThat(ok("git", "theta", "show", "HEAD~2:model.safetensors"))
                .contains("layer2.weight", "6 parameters, 6.0K elements");
        Map<String, Object> show = parse(ok("git", "theta", "show", "--json", "HEAD:model.safetensors"));
        assertThat(show.get("parameters")).isEqualTo(6);
        assertThat(list(show.get("params")).getFirst().get("numel")).isEqualTo(1000);

        // <rev>:<path> as git reads it: ":" alone is the index, "./" and "../" are from the current directory
        m.put("added.bias", new float[] {1, 2});
        write(m);
        ok("git", "add", "model.safetensors");
        assertThat(ok("git", "theta", "show", ":model.safetensors")).contains("added.bias", "7 parameters");
        assertThat(ok("git", "theta", "show", "HEAD:model.safetensors"))
                .doesNotContain("added.bias")
                .contains("6 parameters");
        Path sub = Files.createDirectories(repo.resolve("sub"));
        assertThat(sandbox.ok(sub, "git", "theta", "show", "HEAD~2:../model.safetensors"))
                .contains("6 parameters, 6.0K elements");
        assertThat(sandbox.ok(sub, "git", "theta", "show", "HEAD:model.safetensors"))
                .contains("6 parameters, 6.0K elements");
        assertThat(sandbox.run(sub, "git", "theta", "show", "HEAD:./model.safetensors")
                        .err())
                .contains("sub/model.safetensors");
    }

    @Test
    void revisionRangesAsGitTakesThem() throws Exception {
        Map<String, float[]> m = committedModel("base");
        ok("git", "checkout", "-q", "-b", "ft");
        for (String layer : List.of("layer2.weight", "layer3.weight")) {
            m.get(layer)[0] += 1;
            write(m);
            ok("git", "commit", "-q", "-am", "tune " + layer);
        }
        ok("git", "checkout", "-q", "main");
        m = model();
        m.get("layer4.weight")[0] += 1;
        write(m);
        ok("git", "commit", "-q", "-am", "main");

        assertThat(list(parse(ok("git", "theta", "log", "main..ft", "--json")).get("commits")))
                .extracting(c -> c.get("subject"))
                .containsExactly("tune layer3.weight", "tune layer2.weight");
        assertThat(list(parse(ok("git", "theta", "log", "--json", "ft", "--", "model.safetensors"))
                        .get("commits")))
                .extracting(c -> c.get("subject"))
                .containsExactly("tune layer3.weight", "tune layer2.weight", "base");
        // A...B: what B changed since it left A; A..B: from A to B, A's own change undone too
        assertThat(changedNames(ok("git", "theta", "diff", "main...ft", "--json")))
                .containsExactly("layer2.weight", "layer3.weight");
        assertThat(changedNames(ok("git", "theta", "diff", "main..ft", "--json")))
                .containsExactly("layer2.weight", "layer3.weight", "layer4.weight");
        // @ is git's HEAD (main here), alone or before ~ and ^
        assertThat(changedNames(ok("git", "theta", "diff", "ft", "@", "--json")))
                .containsExactly("layer2.weight", "layer3.weight", "layer4.weight");
        assertThat(changedNames(ok("git", "theta", "diff", "@~1..@", "--json"))).containsExactly("layer4.weight");
        assertThat(ok("git", "theta", "show", "@^:model.safetensors")).contains("6 parameters");
    }

    /** As git log -- <path> lists the history of a file deleted since: its deletion first. */
    @Test
    void logOfACheckpointDeletedSince() throws Exception {
        commitBaseAndTune();
        ok("git", "rm", "-q", "model.safetensors");
        ok("git", "commit", "-q", "-m", "delete");
        List<Map<String, Object>> commits = list(parse(ok("git", "theta", "log", "--json", "--", "model.safetensors"))
                .get("commits"));
        assertThat(commits).extracting(c -> c.get("subject")).containsExactly("delete", "tune", "base");
        assertThat(map(commits.getFirst().get("summary")).get("removed")).isEqualTo(6);
        assertThat(changedNames(ok("git", "theta", "diff", "--json", "HEAD~2", "HEAD~1")))
                .containsExactly("layer1.weight");
        // without -- a path must be in the working tree or a revision named, as in git
        assertThat(run("git", "theta", "log", "model.safetensors").err())
                .contains("unknown revision or path not in the working tree: 'model.safetensors'");
        assertThat(run("git", "theta", "log", "--", "never.safetensors").err())
                .contains("'never.safetensors' is not in HEAD");
        // a folder that never held a checkpoint is named as it is at the tip, not where it last changed
        Files.createDirectories(repo.resolve("docs"));
        Files.writeString(repo.resolve("docs/notes.txt"), "x\n");
        ok("git", "add", "docs");
        ok("git", "commit", "-q", "-m", "docs");
        assertThat(run("git", "theta", "log", "--", "docs").err()).contains("'docs' is not in HEAD");
    }

    /** A path is a path: a name starting with ':' is not git's pathspec magic. */
    @Test
    void aCheckpointNamedWithALeadingColonIsAPath() throws Exception {
        committedModel("base");
        Files.copy(repo.resolve("model.safetensors"), repo.resolve(":x.safetensors"));
        ok("git", "add", "./:x.safetensors");
        ok("git", "commit", "-q", "-m", "colon");
        Map<String, float[]> m = model();
        m.get("layer1.weight")[0] += 1;
        write(m);
        Files.copy(
                repo.resolve("model.safetensors"), repo.resolve(":x.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        for (String path : List.of(":x.safetensors", "./:x.safetensors")) {
            assertThat(changedNames(ok("git", "theta", "diff", "--json", "--", path)))
                    .as(path)
                    .containsExactly("layer1.weight");
            assertThat(subjects(ok("git", "theta", "log", "--json", "--", path)))
                    .as(path)
                    .containsExactly("colon");
        }
    }

    /** --param's glob is text over names, as merge rules take it: any pattern, any name (a NUL in it included). */
    @Test
    void paramGlobsMatchAnyNameLiterallyButForStarAndQuestionMark() throws Exception {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("odd\u0000name[0]", new float[] {1, 2});
        m.put("layer{a}", new float[] {3, 4});
        write(m);
        ok("git", "add", ".gitattributes", "model.safetensors");
        ok("git", "commit", "-q", "-m", "base");
        m.get("odd\u0000name[0]")[0] = 5;
        m.get("layer{a}")[0] = 6;
        write(m);
        ok("git", "commit", "-q", "-am", "tune");
        for (String glob : List.of("*[0]", "odd?name*", "layer{a}", "[", "w{", "w\\")) {
            Command.Result r = run("git", "theta", "log", "--json", "--param", glob);
            assertThat(r.exit()).as(glob + ": " + r.err()).isZero();
            List<Object> changed = list(parse(r.out()).get("commits")).stream()
                    .flatMap(c -> list(c.get("params")).stream().map(p -> p.get("name")))
                    .toList();
            assertThat(changed)
                    .as(glob)
                    .isEqualTo(
                            glob.startsWith("layer")
                                    ? List.of("layer{a}", "layer{a}")
                                    : glob.length() > 3 ? List.of("odd\u0000name[0]", "odd\u0000name[0]") : List.of());
        }
    }

    /** Commits "base", then "tune", which changes one element of layer1.weight. */
    private void commitBaseAndTune() throws IOException {
        Map<String, float[]> m = committedModel("base");
        m.get("layer1.weight")[0] += 1;
        write(m);
        ok("git", "commit", "-q", "-am", "tune");
    }

    /** As git takes them: a path with ".." in it is a path, not a range, unless it resolves as one. */
    @Test
    void pathsWithTwoDotsAreNotRanges() throws Exception {
        commitBaseAndTune();
        Path sub = Files.createDirectories(repo.resolve("sub"));
        assertThat(sandbox.ok(sub, "git", "theta", "diff", "HEAD~1", "../model.safetensors"))
                .contains("layer1.weight", "1 of 6 parameters changed");
        assertThat(subjects(sandbox.ok(sub, "git", "theta", "log", "--json", "../model.safetensors")))
                .containsExactly("tune", "base");

        Files.copy(repo.resolve("model.safetensors"), repo.resolve("m..v2.safetensors"));
        ok("git", "add", "m..v2.safetensors");
        ok("git", "commit", "-q", "-m", "copy");
        assertThat(subjects(ok("git", "theta", "log", "--json", "m..v2.safetensors")))
                .containsExactly("copy");
        assertThat(ok("git", "theta", "diff", "--stat", "HEAD~1", "HEAD", "m..v2.safetensors"))
                .contains(" m..v2.safetensors | 6 of 6 parameters changed");
        // gone from the working tree, the path is still one in the revisions given
        ok("git", "rm", "-q", "m..v2.safetensors");
        ok("git", "commit", "-q", "-m", "remove");
        assertThat(subjects(ok("git", "theta", "log", "--json", "HEAD~1", "m..v2.safetensors")))
                .containsExactly("copy");
        // a revision that is also a file is ambiguous, as git says
        Files.writeString(repo.resolve("main"), "");
        assertThat(run("git", "theta", "log", "main").err())
                .contains("ambiguous argument 'main': both revision and filename");
    }

    /**
     * Outside the work tree (GIT_DIR and GIT_WORK_TREE set), paths are from its top, as git takes them; a path outside
     * the repository is refused in git's words, not with the command line of a failed git ls-tree.
     */
    @Test
    void pathsAreFromTheTopOutsideTheWorkTreeAndRefusedOutsideTheRepository() throws Exception {
        commitBaseAndTune();
        Path elsewhere = Files.createDirectories(home.resolve("elsewhere"));
        Map<String, String> env = Map.of("GIT_DIR", repo.resolve(".git").toString(), "GIT_WORK_TREE", repo.toString());
        for (String[] cmd : new String[][] {
            {"git", "theta", "log", "--json", "--", "model.safetensors"},
            {"git", "theta", "log", "--json", "model.safetensors"},
            {"git", "theta", "diff", "--json", "HEAD~1", "--", "model.safetensors"}
        }) {
            Command.Result r = sandbox.command(elsewhere, cmd).env(env).run();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("layer1.weight");
        }

        Command.Result outside = run("git", "theta", "log", "--", "../elsewhere/model.safetensors");
        assertThat(outside.exit()).isEqualTo(1);
        assertThat(outside.err())
                .isEqualTo("git-theta: '../elsewhere/model.safetensors' is outside repository at '" + repo.toRealPath()
                        + "'\n");
    }

    @Test
    void logTakesExclusionsAndEmptyRanges() throws Exception {
        Map<String, float[]> m = committedModel("base");
        ok("git", "checkout", "-q", "-b", "ft");
        m.get("layer2.weight")[0] += 1;
        write(m);
        ok("git", "commit", "-q", "-am", "tune");
        assertThat(subjects(ok("git", "theta", "log", "--json", "^main", "ft"))).containsExactly("tune");
        // git log prints nothing for a range without commits, and succeeds
        for (List<String> empty : List.of(List.of("ft..main"), List.of("-n", "0"))) {
            List<String> cmd = new ArrayList<>(List.of("git", "theta", "log"));
            cmd.addAll(empty);
            assertThat(ok(cmd.toArray(String[]::new))).as(cmd.toString()).isEmpty();
            cmd.add("--json");
            assertThat(subjects(ok(cmd.toArray(String[]::new))))
                    .as(cmd.toString())
                    .isEmpty();
        }
        // with --param, -n counts the commits where a matching parameter changed, not those that touched the file
        m.get("layer3.weight")[0] += 1;
        write(m);
        ok("git", "commit", "-q", "-am", "other");
        assertThat(subjects(ok("git", "theta", "log", "--json", "--param", "layer2.*", "-n", "1")))
                .containsExactly("tune");
        assertThat(ok("git", "theta", "log", "--param", "layer2.*", "-n", "1"))
                .contains("tune", "modified layer2.weight")
                .doesNotContain("other", "base");
    }

    /** The top of the tree, or a folder without a sharded model, is refused with what to give instead. */
    @Test
    void showOfAFolderNamesTheCheckpointsInIt() throws Exception {
        committedModel("base");
        Files.createDirectories(repo.resolve("models"));
        Files.copy(repo.resolve("model.safetensors"), repo.resolve("models/a.safetensors"));
        ok("git", "add", "models");
        ok("git", "commit", "-q", "-m", "folder");
        for (String spec : List.of("HEAD:", "HEAD:.", "HEAD:./", ":", "HEAD:models")) {
            Command.Result r = run("git", "theta", "show", spec);
            assertThat(r.exit()).as(spec).isEqualTo(1);
            assertThat(r.err().lines().filter(l -> !l.contains("building")).toList())
                    .as(r.err())
                    .singleElement()
                    .asString()
                    .startsWith("git-theta: '" + spec + "' is a folder; name one checkpoint in it: ")
                    .contains("models/a.safetensors");
        }
    }

    /** A checkpoint committed before it was tracked (then renormalized) ends its git-theta history there. */
    @Test
    void historyBeforeTrackingEndsTheLog() throws Exception {
        Files.delete(repo.resolve(".gitattributes"));
        Map<String, float[]> m = model();
        write(m);
        ok("git", "add", "model.safetensors");
        ok("git", "commit", "-q", "-m", "raw");
        ok("git", "theta", "track", "*.safetensors");
        ok("git", "add", "--renormalize", ".");
        ok("git", "add", ".gitattributes");
        ok("git", "commit", "-q", "-m", "migrate");
        m.get("layer3.weight")[0] += 1;
        write(m);
        ok("git", "commit", "-q", "-am", "tune");

        Command.Result log = run("git", "theta", "log", "--json");
        assertThat(log.exit()).as(log.err()).isZero();
        List<Map<String, Object>> commits = list(parse(log.out()).get("commits"));
        assertThat(commits).extracting(c -> c.get("subject")).containsExactly("tune", "migrate");
        // the first tracked version is compared with nothing: every parameter added
        assertThat(map(commits.get(1).get("summary")).get("added")).isEqualTo(6);
        String raw = ok("git", "rev-parse", "--short=10", "HEAD~2").strip();
        assertThat(log.err().lines().filter(l -> !l.contains("building")).toList())
                .singleElement()
                .asString()
                .startsWith("git-theta: ")
                .contains("model.safetensors in " + raw + " is not a git-theta manifest");
        Command.Result before = run("git", "theta", "log", "HEAD~2", "--", "model.safetensors");
        assertThat(before.exit()).as(before.err()).isZero();
        assertThat(before.out()).isEmpty();
        assertThat(before.err())
                .contains("model.safetensors in " + raw + " is not a git-theta manifest (committed"
                        + " before it was tracked?): the log ends there");

        Command.Result diff = run("git", "theta", "diff", "HEAD~2", "HEAD");
        assertThat(diff.exit()).isEqualTo(1);
        assertThat(diff.err().lines().filter(l -> !l.contains("building")).toList())
                .singleElement()
                .asString()
                .contains("model.safetensors in HEAD~2 is not a git-theta manifest");
    }

    private static List<Object> subjects(String logJson) throws IOException {
        return list(parse(logJson).get("commits")).stream()
                .map(c -> c.get("subject"))
                .toList();
    }

    private static List<Object> changedNames(String diffJson) throws IOException {
        List<Map<String, Object>> params =
                list(list(parse(diffJson).get("files")).getFirst().get("params"));
        return params.stream().map(p -> p.get("name")).toList();
    }

    @Test
    void cachedDiffBeforeTheFirstCommitComparesWithNothing() throws Exception {
        write(model());
        ok("git", "add", ".gitattributes", "model.safetensors");
        Map<String, Object> diff = parse(ok("git", "theta", "diff", "--cached", "--json"));
        assertThat(diff.get("before")).isEqualTo("nothing");
        assertThat(list(list(diff.get("files")).getFirst().get("params")))
                .hasSize(6)
                .allMatch(p -> p.get("status").equals("added"));
    }

    @Test
    void errorsAreOneLine() throws Exception {
        write(model());
        Files.writeString(repo.resolve("notes.txt"), "hello\n");
        ok("git", "add", ".");
        ok("git", "commit", "-q", "-m", "base");
        for (List<String> cmd : List.of(
                List.of("git", "theta", "diff", "nosuchrev", "HEAD"),
                List.of("git", "theta", "diff", "HEAD", "--", "notes.txt"),
                List.of("git", "theta", "show", "HEAD:missing.safetensors"),
                List.of("git", "theta", "show", "nosuchrev:model.safetensors"),
                List.of("git", "theta", "show", ":1:model.safetensors"),
                List.of("git", "theta", "show", "HEAD:notes.txt"),
                List.of("git", "theta", "log", "notes.txt"))) {
            Command.Result r = run(cmd.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(1);
            // (the launcher may say once that it is building: that line is not the command's)
            assertThat(r.err().lines().filter(l -> !l.contains("building")).toList())
                    .as(r.err())
                    .hasSize(1)
                    .allMatch(l -> l.startsWith("git-theta: "));
        }
        assertThat(run("git", "theta", "diff", "nosuchrev", "HEAD").err())
                .contains("unknown revision or path not in the working tree: 'nosuchrev'");
        assertThat(run("git", "theta", "diff", "nosuchrev", "--").err()).contains("unknown revision 'nosuchrev'");
        assertThat(run("git", "theta", "show", "HEAD:notes.txt").err())
                .contains("'notes.txt' is not tracked by git-theta");
        // no conflict: the index holds the file at stage 0 only
        assertThat(run("git", "theta", "show", ":3:model.safetensors").err())
                .contains("path 'model.safetensors' is in the index, but not at stage 3");
        assertThat(run("git", "theta", "diff", "HEAD", "--", "notes.txt").err())
                .contains("'notes.txt' is not tracked by git-theta");
    }

    private static double num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    private static Map<String, Object> map(Object o) {
        return TestJson.map(o);
    }

    private static List<Map<String, Object>> list(Object o) {
        return TestJson.list(o);
    }

    private static Map<String, Object> parse(String json) throws IOException {
        return TestJson.parse(json);
    }
}
