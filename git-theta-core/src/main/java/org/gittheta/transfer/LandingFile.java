package org.gittheta.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.gittheta.store.ObjectId;
import org.gittheta.store.ObjectStore;

/**
 * The file a download lands in and the SHA-256 of the bytes it holds, updated as they are written: the object is
 * hashed once, on arrival, and not read back before it is stored. Bytes an interrupted fetch left are hashed when
 * the file is taken over, so a resumed download appends to a digest that covers them.
 */
final class LandingFile {
    private final Path file;
    private final MessageDigest sha = ObjectStore.sha256();
    private long held;

    /** Takes over {@code file}, hashing what is in it already. */
    LandingFile(Path file) throws IOException {
        this.file = file;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
                held += n;
            }
        }
    }

    Path file() {
        return file;
    }

    /** Bytes held and hashed. */
    long held() {
        return held;
    }

    /** Empties the file: the download starts again from its first byte. */
    void clear() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        sha.reset();
        held = 0;
    }

    /**
     * A channel positioned after the bytes held; bytes a failed write may have left beyond them are cut off, so the
     * file and its digest always agree.
     */
    Appender appender() throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        try {
            ch.truncate(held);
            ch.position(held);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new Appender(ch);
    }

    /** The id the bytes held hash to; call once, when the download is complete. */
    ObjectId id() {
        return ObjectId.fromDigest(sha.digest());
    }

    final class Appender implements AutoCloseable {
        private final FileChannel ch;

        private Appender(FileChannel ch) {
            this.ch = ch;
        }

        void write(byte[] b, int n) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
            while (buf.hasRemaining()) ch.write(buf);
            sha.update(b, 0, n);
            held += n;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
