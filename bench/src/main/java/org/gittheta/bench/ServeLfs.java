package org.gittheta.bench;

import java.nio.file.Path;
import org.gittheta.testing.LfsServer;

/**
 * The tests' Git LFS server (gitlfs-server in Jetty, basic auth u:p) on loopback for benchmark scripts:
 * {@code ServeLfs <storage dir>} prints the LFS URL, then serves until its standard input closes.
 */
public final class ServeLfs {
    private ServeLfs() {}

    public static void main(String[] args) throws Exception {
        try (LfsServer server = new LfsServer(Path.of(args[0]))) {
            System.out.println(server.url());
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
