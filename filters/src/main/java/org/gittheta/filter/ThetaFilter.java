package org.gittheta.filter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Consumer;
import org.gittheta.convert.CleanResult;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.text.Printable;

/**
 * Git's clean and smudge requests handed to the repository's. Any failure, a bad setting included, becomes that
 * file's error status with one line naming the file, and the process goes on answering. A file stored whole is
 * told as one notice line naming it and why.
 */
public final class ThetaFilter implements FilterHandler {
    private final ThetaRepository repo;
    private final Consumer<String> notice;

    /** @param notice receives one line per file stored whole (for example to print to stderr) */
    public ThetaFilter(ThetaRepository repo, Consumer<String> notice) {
        this.repo = repo;
        this.notice = notice;
    }

    @Override
    public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
        try {
            CleanResult result = repo.clean(pathname, content, out);
            result.storedWhole().ifPresent(why -> notice.accept(Printable.escape(pathname) + ": stored whole: " + why));
        } catch (IOException e) {
            throw failure(pathname, e);
        }
    }

    @Override
    public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
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
