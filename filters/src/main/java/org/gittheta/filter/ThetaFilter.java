package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.gittheta.convert.Cleaner;
import org.gittheta.convert.Smudger;
import org.gittheta.manifest.ManifestException;
import org.gittheta.repo.ThetaRepo;

/** Git's clean and smudge requests handed to git-theta's core; a failure becomes that file's error status. */
public final class ThetaFilter implements FilterHandler {
    private final ThetaRepo repo;
    private final Cleaner cleaner;
    private final Smudger smudger;

    public ThetaFilter(ThetaRepo repo, Cleaner cleaner, Smudger smudger) {
        this.repo = repo;
        this.cleaner = cleaner;
        this.smudger = smudger;
    }

    @Override public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            cleaner.clean(pathname, content, out, () -> {
                try {
                    return repo.indexManifest(pathname);
                } catch (ManifestException e) {
                    return java.util.Optional.empty(); // an unreadable old version only costs the reuse
                }
            });
        } catch (IOException e) {
            throw new FilterException(e.getMessage());
        }
    }

    @Override public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            smudger.smudge(pathname, content, out);
        } catch (IOException e) {
            throw new FilterException(e.getMessage());
        }
    }
}
