package org.gittheta.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a repository's git-theta object store holds, read as plain files ({@code <git dir>/theta/objects/ab/cd/<id>},
 * the Git LFS layout) so that a test checks the store without going through the code it tests.
 */
public final class StoreFiles {
    private StoreFiles() {}

    /** The object store of a git directory ({@code repo/.git}, or a bare repository). */
    public static Path objectsDir(Path gitDir) {
        return gitDir.resolve("theta/objects");
    }

    /** The file object {@code id} is stored in (whether or not it exists). */
    public static Path object(Path gitDir, String id) {
        return objectsDir(gitDir)
                .resolve(id.substring(0, 2))
                .resolve(id.substring(2, 4))
                .resolve(id);
    }

    /** Every stored object's file, sorted; none when the store does not exist yet. */
    public static List<Path> objects(Path gitDir) throws IOException {
        return filesBelow(objectsDir(gitDir));
    }

    /** Every regular file below {@code dir} (an objects directory wherever it is), sorted; none if it is missing. */
    public static List<Path> filesBelow(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    public static int count(Path gitDir) throws IOException {
        return objects(gitDir).size();
    }

    /** The bytes the stored objects take. */
    public static long bytes(Path gitDir) throws IOException {
        return totalSize(objects(gitDir));
    }

    public static long totalSize(List<Path> files) throws IOException {
        long total = 0;
        for (Path p : files) total += Files.size(p);
        return total;
    }

    /** The SHA-256 of a file's bytes (the name of an intact object), read in blocks: files may exceed the heap. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] block = new byte[1 << 20];
            for (int n; (n = in.read(block)) > 0; ) sha.update(block, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
