package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.gittheta.repo.ThetaRepository;

/** Git's clean and smudge requests handed to the repository's; a failure becomes that file's error status. */
public final class ThetaFilter implements FilterHandler {
    private final ThetaRepository repo;

    public ThetaFilter(ThetaRepository repo) { this.repo = repo; }

    @Override public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            repo.clean(pathname, content, out);
        } catch (IOException e) {
            throw new FilterException(e.getMessage(), e);
        }
    }

    @Override public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            repo.smudge(pathname, content, out);
        } catch (IOException e) {
            throw new FilterException(e.getMessage(), e);
        }
    }
}
