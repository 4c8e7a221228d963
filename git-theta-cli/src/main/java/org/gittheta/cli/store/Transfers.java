package org.gittheta.cli.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.gittheta.cli.Sizes;
import org.gittheta.cli.UserException;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.repo.ThetaRepository;
import org.gittheta.transfer.ObjectRemote;

/** What fetch, pull, push and the pre-push hook share: choosing the remote, resolving revisions, reporting. */
final class Transfers {
    private Transfers() {}

    /** The given remote, else the default one (see {@link ThetaRepository#defaultRemote}). */
    static String remoteName(ThetaRepository repo, Optional<String> given) {
        if (given.isPresent()) return given.get();
        return repo.defaultRemote()
                .orElseThrow(() -> new UserException("no remote to use: name one, add 'origin', or set theta.remote"));
    }

    static ObjectRemote remote(ThetaRepository repo, String name) throws IOException {
        return configured(repo.remote(name), name);
    }

    /** Where {@code git push <name>} sends: its push URL if it has one. */
    static ObjectRemote pushRemote(ThetaRepository repo, String name) throws IOException {
        return configured(repo.pushRemote(name), name);
    }

    private static ObjectRemote configured(Optional<ObjectRemote> remote, String name) {
        return remote.orElseThrow(() -> new UserException(
                "remote '" + name + "' has no URL, and neither lfs.url nor remote." + name + ".lfsurl is set"));
    }

    static String commit(ThetaRepository repo, String rev) throws IOException {
        return repo.resolveCommit(rev)
                .orElseThrow(() -> new UserException("'" + rev + "' is not a commit in this repository"));
    }

    static List<String> commits(ThetaRepository repo, Collection<String> revs) throws IOException {
        List<String> out = new ArrayList<>();
        for (String rev : revs) out.add(commit(repo, rev));
        return out;
    }

    /** Downloads what the store lacks; says what moved and what the remote did not have. */
    static void fetch(ThetaRepository repo, ObjectRemote remote, Set<ObjectRef> wanted) throws IOException {
        ThetaRepository.Fetched f = repo.fetch(remote, wanted);
        List<ObjectRef> still = f.notThere();
        System.err.println("git-theta: fetched " + f.objects() + " objects (" + Sizes.human(f.bytes()) + ") from "
                + remote.describe()
                + (still.isEmpty()
                        ? ""
                        : "; " + still.size() + " objects are not there (first: "
                                + still.getFirst().id() + ")"));
        if (!still.isEmpty())
            throw new UserException(still.size() + " objects could not be fetched from " + remote.describe());
    }
}
