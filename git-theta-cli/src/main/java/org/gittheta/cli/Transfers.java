package org.gittheta.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.gittheta.config.Settings;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.repo.ThetaRepo;
import org.gittheta.transfer.ObjectRemote;

/** What fetch, pull, push and the pre-push hook share: choosing the remote, resolving revisions, reporting. */
final class Transfers {
    private Transfers() {}

    static ThetaRepo open(Path cwd) throws IOException {
        Git.Dirs dirs = Git.dirs(cwd);
        return ThetaRepo.open(dirs.gitDir(), dirs.commonDir());
    }

    /** The given remote, else the default one (see {@link Settings#defaultRemote}). */
    static String remoteName(Settings settings, Optional<String> given) {
        if (given.isPresent()) return given.get();
        return settings.defaultRemote().orElseThrow(() -> new UserException(
                "no remote to use: name one, add 'origin', or set theta.remote"));
    }

    static ObjectRemote remote(Path cwd, Settings settings, String name) throws IOException {
        return Remotes.remote(cwd, settings, name).orElseThrow(() -> new UserException(
                "remote '" + name + "' has no URL, and neither lfs.url nor remote." + name + ".lfsurl is set"));
    }

    static ObjectId commit(ThetaRepo repo, String rev) throws IOException {
        ObjectId id = repo.git().resolve(rev + "^{commit}");
        if (id == null) throw new UserException("'" + rev + "' is not a commit in this repository");
        return id;
    }

    static List<ObjectId> commits(ThetaRepo repo, Collection<String> revs) throws IOException {
        List<ObjectId> out = new ArrayList<>();
        for (String rev : revs) out.add(commit(repo, rev));
        return out;
    }

    /** The commits of every ref under the prefixes (tags peeled; refs to other objects skipped). */
    static List<ObjectId> refTips(ThetaRepo repo, String... prefixes) throws IOException {
        List<ObjectId> out = new ArrayList<>();
        for (String prefix : prefixes) {
            for (Ref ref : repo.git().getRefDatabase().getRefsByPrefix(prefix)) {
                ObjectId id = repo.git().resolve(ref.getName() + "^{commit}");
                if (id != null && !out.contains(id)) out.add(id);
            }
        }
        return out;
    }

    /** Downloads what the store lacks; says what moved and what the remote did not have. */
    static void fetch(ThetaRepo repo, ObjectRemote remote, Set<ObjectRef> wanted) throws IOException {
        List<ObjectRef> missing = wanted.stream().filter(r -> !repo.store().contains(r.id())).toList();
        remote.fetch(missing, repo.store());
        List<ObjectRef> still = missing.stream().filter(r -> !repo.store().contains(r.id())).toList();
        long bytes = missing.stream().filter(r -> repo.store().contains(r.id())).mapToLong(ObjectRef::size).sum();
        System.err.println("git-theta: fetched " + (missing.size() - still.size()) + " objects (" + Sizes.human(bytes) + ") from " + remote.describe()
                + (still.isEmpty() ? "" : "; " + still.size() + " objects are not there (first: " + still.getFirst().id() + ")"));
        if (!still.isEmpty()) throw new UserException(still.size() + " objects could not be fetched from " + remote.describe());
    }
}
