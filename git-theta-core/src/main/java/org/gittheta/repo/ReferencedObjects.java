package org.gittheta.repo;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;

/**
 * The parameter objects that commits need: those of every manifest in their trees. A manifest is known by its
 * content, whatever the path's name (a {@code .bin} or a file stored whole); other blobs are skipped.
 */
final class ReferencedObjects {
    private ReferencedObjects() {}

    /** What checking out these commits needs: the manifests in their trees, not their history. */
    static Set<ObjectRef> atCommits(JGitRepo repo, Collection<ObjectId> commits) throws IOException {
        Set<ObjectRef> out = new LinkedHashSet<>();
        try (RevWalk walk = new RevWalk(repo.git())) {
            for (ObjectId c : commits) {
                RevCommit commit = walk.parseCommit(c);
                try (TreeWalk tw = new TreeWalk(repo.git())) {
                    tw.addTree(commit.getTree());
                    tw.setRecursive(true);
                    while (tw.next()) {
                        if (tw.getFileMode(0).getObjectType() == Constants.OBJ_BLOB) {
                            add(out, repo.manifestOfBlob(tw.getObjectId(0)));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * What the commits reachable from {@code tips} but not from {@code known} need: every manifest version they
     * introduce, plus all manifests at the tips (a remote may lack objects of versions it already has commits of).
     * Ids in {@code known} that this repository does not have are ignored.
     */
    static Set<ObjectRef> introducedBy(JGitRepo repo, Collection<ObjectId> tips, Collection<ObjectId> known)
            throws IOException {
        Set<ObjectRef> out = new LinkedHashSet<>(atCommits(repo, tips));
        try (ObjectWalk walk = new ObjectWalk(repo.git())) {
            for (ObjectId tip : tips) walk.markStart(walk.parseCommit(tip));
            for (ObjectId k : known) {
                if (!repo.git().getObjectDatabase().has(k)) continue;
                RevObject o = walk.parseAny(k);
                if (o.getType() == Constants.OBJ_COMMIT) walk.markUninteresting((RevCommit) o);
            }
            while (walk.next() != null) {
                // commits are walked first; the trees and blobs they introduce come after
            }
            for (RevObject o; (o = walk.nextObject()) != null; ) {
                if (o.getType() == Constants.OBJ_BLOB) {
                    add(out, repo.manifestOfBlob(o));
                }
            }
        }
        return out;
    }

    private static void add(Set<ObjectRef> out, Optional<Manifest> manifest) {
        if (manifest.isEmpty()) return;
        for (ParamEntry p : manifest.get().params()) out.addAll(p.objects());
    }
}
