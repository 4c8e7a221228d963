package org.gittheta.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.stream.Stream;
import javax.servlet.http.HttpServletRequest;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import ru.bozaro.gitlfs.common.data.Meta;
import ru.bozaro.gitlfs.server.ContentManager;
import ru.bozaro.gitlfs.server.ContentServlet;
import ru.bozaro.gitlfs.server.PointerServlet;
import ru.bozaro.gitlfs.server.UnauthorizedError;

/** A real Git LFS server (gitlfs-server's servlets in Jetty) on loopback, storing objects in a directory, requiring
 * basic auth u:p, or another Authorization. */
public final class LfsServer implements AutoCloseable {
    public static final String PREFIX = "/model.git/info/lfs";
    private final Path storage;
    private final String authorization;
    private final Server server;

    public LfsServer(Path storage) throws Exception {
        this(storage, "Basic " + Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8)));
    }

    /** A server that takes only requests whose Authorization header is {@code authorization}. */
    public LfsServer(Path storage, String authorization) throws Exception {
        this.storage = storage;
        this.authorization = authorization;
        Files.createDirectories(storage);
        server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler handler = new ServletContextHandler();
        Content content = new Content();
        handler.addServlet(new ServletHolder(new PointerServlet(content, PREFIX + "/storage/")), PREFIX + "/objects/*");
        handler.addServlet(new ServletHolder(new ContentServlet(content)), PREFIX + "/storage/*");
        server.setHandler(handler);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:"
                + ((org.eclipse.jetty.server.ServerConnector) server.getConnectors()[0]).getLocalPort() + PREFIX;
    }

    public long objectCount() throws IOException {
        try (Stream<Path> s = Files.list(storage)) {
            return s.filter(p -> !p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    public long bytes() throws IOException {
        try (Stream<Path> s = Files.list(storage)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private final class Content implements ContentManager {
        private void check(HttpServletRequest req) throws UnauthorizedError {
            if (!authorization.equals(req.getHeader("Authorization"))) {
                throw new UnauthorizedError("Basic realm=\"test\"");
            }
        }

        @Override
        public Downloader checkDownloadAccess(HttpServletRequest req) throws UnauthorizedError {
            check(req);
            return new Downloader() {
                @Override
                public InputStream openObject(String hash) throws IOException {
                    return Files.newInputStream(storage.resolve(hash));
                }

                @Override
                public InputStream openObjectGzipped(String hash) {
                    return null;
                }
            };
        }

        @Override
        public Uploader checkUploadAccess(HttpServletRequest req) throws UnauthorizedError {
            check(req);
            return (meta, in) -> {
                Path tmp = Files.createTempFile(storage, "up", ".tmp");
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, storage.resolve(meta.getOid()), StandardCopyOption.ATOMIC_MOVE);
            };
        }

        @Override
        public Meta getMetadata(String hash) {
            Path p = storage.resolve(hash);
            return Files.isRegularFile(p) ? new Meta(hash, p.toFile().length()) : null;
        }
    }
}
