package org.gittheta.filter;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A filter process for the end-to-end test: clean uppercases ASCII, smudge lowercases it, and a
 * path containing "refuse" fails. It transforms chunk by chunk while reading, the pattern that
 * would deadlock against Git if the server let output through before the request was read.
 */
public final class CaseFilterMain {
    private CaseFilterMain() {}

    public static void main(String[] args) throws IOException {
        // Raw descriptors: System.out is a PrintStream that would swallow write errors.
        FilterHandler handler = new FilterHandler() {
            @Override
            public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
                transform(pathname, content, out, 'a', 'z', 'A' - 'a');
            }

            @Override
            public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
                transform(pathname, content, out, 'A', 'Z', 'a' - 'A');
            }
        };
        new FilterProcessServer(
                        new FileInputStream(FileDescriptor.in),
                        new FileOutputStream(FileDescriptor.out),
                        handler,
                        System.err::println)
                .serve();
    }

    private static void transform(String pathname, InputStream content, OutputStream out, char from, char to, int shift)
            throws IOException {
        if (pathname.contains("refuse")) throw new FilterException(pathname + ": refused by the test filter");
        byte[] buf = new byte[8192];
        for (int n; (n = content.read(buf)) > 0; ) {
            for (int i = 0; i < n; i++) {
                if (buf[i] >= from && buf[i] <= to) buf[i] += (byte) shift;
            }
            out.write(buf, 0, n);
        }
    }
}
