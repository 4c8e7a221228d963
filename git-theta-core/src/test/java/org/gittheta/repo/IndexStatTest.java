package org.gittheta.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.gittheta.testing.GitSandbox;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stat data put into index entries by hand, checked with real git: a clean filter that logs each call shows that git
 * no longer reads the rewritten file, and {@code git status} and {@code git diff} see it unchanged.
 */
class IndexStatTest {
    @TempDir
    Path tmp;

    private GitSandbox sandbox;
    private Path repo;
    private Path cleans;

    @BeforeEach
    void repository() throws Exception {
        sandbox = new GitSandbox(tmp.resolve("home"));
        repo = Files.createDirectories(tmp.resolve("r"));
        cleans = tmp.resolve("cleans");
        git("init", "-q", "-b", "main");
        git("config", "filter.log.clean", "sh -c 'echo clean %f >> " + cleans + "; cat'");
        git("config", "filter.log.smudge", "cat");
        Files.writeString(repo.resolve(".gitattributes"), "*.bin filter=log\n");
        // names sharing prefixes of various lengths, so that version 4's compressed names are exercised
        for (String name : List.of("a.bin", "dir/model.bin", "dir/model.bin.txt", "dir/sub/other.bin", "zz.txt")) {
            Files.createDirectories(repo.resolve(name).getParent());
            Files.writeString(repo.resolve(name), "content of " + name + "\n");
        }
        git("add", ".");
        git("commit", "-q", "-m", "base");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void gitSeesTheRewrittenFileUnchangedWithoutCleaningIt(int version) throws Exception {
        git("update-index", "--index-version", Integer.toString(version));
        if (version == 3) {
            Files.writeString(repo.resolve("new.bin"), "intent to add\n");
            git("add", "-N", "new.bin"); // an entry with extended flags
        }
        git("update-index", "--untracked-cache"); // an optional extension, kept as it is
        IndexStat.Written written = rewrite("dir/model.bin");
        Path indexFile = repo.resolve(".git/index");
        Set<PosixFilePermission> shared = PosixFilePermissions.fromString("rw-rw-r--"); // core.sharedRepository=group
        Files.setPosixFilePermissions(indexFile, shared);

        assertThat(record(written)).containsExactly("dir/model.bin");
        assertThat(Files.getPosixFilePermissions(indexFile)).isEqualTo(shared);

        Files.write(cleans, new byte[0]);
        assertThat(git("status", "--porcelain", "--untracked-files=no")).isEqualTo(version == 3 ? " A new.bin\n" : "");
        assertThat(git("diff", "--", "dir")).isEmpty();
        // the other files, indexed in the second the index was written, are compared again as their entries are racy
        assertThat(Files.readString(cleans))
                .as("git did not clean the file again")
                .doesNotContain("dir/model.bin");
        assertThat(git("ls-files", "--debug", "dir/model.bin"))
                .contains("ino: " + written.stat().ino())
                .contains("size: " + written.stat().size());
        byte[] index = Files.readAllBytes(indexFile);
        assertThat(ByteBuffer.wrap(index).getInt(4)).as("the index version").isEqualTo(version);
        git("fsck", "--no-progress");
    }

    @Test
    void aSplitIndexIsLeftToGit() throws Exception {
        git("update-index", "--split-index");
        IndexStat.Written written = rewrite("dir/model.bin");
        byte[] before = Files.readAllBytes(repo.resolve(".git/index"));

        assertThat(record(written)).isEmpty();
        assertThat(Files.readAllBytes(repo.resolve(".git/index"))).isEqualTo(before);
    }

    @Test
    void anEntryThatNamesAnotherBlobOrAFileChangedSinceAreLeftAlone() throws Exception {
        IndexStat.Written staleBlob = rewrite("a.bin");
        Files.writeString(repo.resolve("dir/model.bin"), "content of dir/model.bin\n");
        IndexStat.Written changed = rewrite("dir/model.bin");
        Files.writeString(repo.resolve("a.bin"), "something else\n");
        git("add", "a.bin");
        Files.writeString(repo.resolve("dir/model.bin"), "changed after it was written\n");

        assertThat(record(staleBlob, changed)).isEmpty();
        assertThat(git("status", "--porcelain")).isEqualTo("M  a.bin\n M dir/model.bin\n");
    }

    /**
     * Racy git: a file edited again within the second git indexed it keeps its entry's stat (same size, times in the
     * same second), and only the index's own mtime, in that second too, tells git to compare its content. An index
     * rewritten in a later second must not make that entry look clean: git smudges such entries, and so must we.
     */
    @Test
    void aFileEditedInTheSecondItWasIndexedIsStillSeenChangedAfterTheRewrite() throws Exception {
        Path file = repo.resolve("zz.txt");
        Path index = repo.resolve(".git/index");
        boolean sameSecond = false;
        for (int attempt = 0; attempt < 10 && !sameSecond; attempt++) {
            Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 20); // early in a second
            Files.writeString(file, "first version\n");
            git("add", "zz.txt");
            Files.writeString(file, "other version\n"); // the same size
            long second = seconds(Files.getLastModifiedTime(index).toMillis());
            IndexStat.FileStat stat = IndexStat.FileStat.of(file).orElseThrow();
            sameSecond = seconds(stat.mtimeNanos() / 1_000_000) == second
                    && seconds(stat.ctimeNanos() / 1_000_000) == second;
        }
        assertThat(sameSecond).as("the add and the edit fell within one second").isTrue();
        IndexStat.Written written = rewrite("dir/model.bin");

        assertThat(record(written)).containsExactly("dir/model.bin");
        assertThat(git("status", "--porcelain")).isEqualTo("MM zz.txt\n"); // staged, then edited again
        assertThat(git("diff", "zz.txt")).contains("+other version");
    }

    private static long seconds(long millis) {
        return Math.floorDiv(millis, 1000);
    }

    /** The file written again with the content its index entry names: new inode, new times. */
    private IndexStat.Written rewrite(String path) throws Exception {
        Path file = repo.resolve(path);
        byte[] content = Files.readAllBytes(file);
        Files.delete(file);
        Files.write(file, content);
        byte[] blob = HexFormat.of().parseHex(git("rev-parse", ":" + path).strip());
        return new IndexStat.Written(
                path, file, blob, IndexStat.FileStat.of(file).orElseThrow());
    }

    private Set<String> record(IndexStat.Written... written) throws Exception {
        return IndexStat.record(repo.resolve(".git/index"), "sha1", List.of(written));
    }

    private String git(String... args) throws Exception {
        return sandbox.git(repo, args);
    }
}
