package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.gittheta.repo.ThetaRepository;

/**
 * Git's clean and smudge requests handed to the repository's. Any failure, a bad setting included, becomes that
 * file's error status with one line naming the file, and the process goes on answering.
 */
public final class ThetaFilter implements FilterHandler {
    private final ThetaRepository repo;

    public ThetaFilter(ThetaRepository repo) { this.repo = repo; }

    @Override public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            repo.clean(pathname, content, out);
        } catch (IOException e) {
            throw failure(pathname, e);
        }
    }

    @Override public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            repo.smudge(pathname, content, out);
        } catch (IOException e) {
            throw failure(pathname, e);
        }
    }

    private static FilterException failure(String pathname, IOException e) {
        String m = String.valueOf(e.getMessage());
        return new FilterException(m.startsWith(pathname + ":") ? m : pathname + ": " + m, e);
    }
}
