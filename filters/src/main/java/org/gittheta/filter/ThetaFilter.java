package org.gittheta.filter;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.Formats;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ManifestException;
import org.gittheta.progress.Progress;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.store.Codec;
import org.gittheta.transfer.ObjectSource;
import org.gittheta.update.ParamEncoder;
import org.gittheta.update.UpdateOptions;

/** git-theta's clean and smudge, as Git's filter process calls them for each tracked file. */
public final class ThetaFilter implements FilterHandler {
    private static final int PEEK = 64;

    private final ThetaRepo repo;
    private final Cleaner cleaner;
    private final Smudger smudger;

    public ThetaFilter(ThetaRepo repo, Codec codec, UpdateOptions updates, Optional<ObjectSource> remote, Progress progress) {
        this.repo = repo;
        this.cleaner = new Cleaner(repo.store(), new ParamEncoder(repo.store(), codec, updates), progress);
        this.smudger = new Smudger(repo.store(), remote, progress);
    }

    @Override public void clean(String pathname, InputStream content, OutputStream out) throws IOException {
        BufferedInputStream in = new BufferedInputStream(content, 1 << 16);
        in.mark(PEEK);
        byte[] head = in.readNBytes(PEEK);
        in.reset();
        if (Manifest.looksLike(head, head.length)) {
            in.transferTo(out); // already a manifest (e.g. added with the filter off): keep it as it is
            return;
        }
        CheckpointFormat format = Formats.forPath(pathname).orElseThrow(() -> new FilterException(pathname
                + ": git-theta tracks .safetensors and .gguf checkpoints, not this file; stop tracking it with 'git theta untrack " + pathname + "'"));
        try {
            out.write(cleaner.clean(pathname, format, in, previous(pathname)).toBytes());
        } catch (FilterException e) {
            throw e;
        } catch (IOException e) {
            throw new FilterException(withPath(pathname, e));
        }
    }

    @Override public void smudge(String pathname, InputStream content, OutputStream out) throws IOException {
        byte[] bytes = content.readAllBytes();
        if (!Manifest.looksLike(bytes, bytes.length)) {
            out.write(bytes); // committed before it was tracked: hand it back untouched
            return;
        }
        try {
            smudger.smudge(pathname, Manifest.parse(bytes), out);
        } catch (IOException e) {
            throw new FilterException(withPath(pathname, e));
        }
    }

    /** The staged manifest, whose unchanged parameters the new version reuses. */
    private Optional<Manifest> previous(String pathname) throws IOException {
        try {
            return repo.indexManifest(pathname);
        } catch (ManifestException e) {
            return Optional.empty(); // an unreadable old version only costs the reuse
        }
    }

    private static String withPath(String pathname, IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith(pathname + ":") ? m : pathname + ": " + m;
    }
}
