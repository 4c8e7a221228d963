package org.gittheta.repo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevBlob;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ObjectRef;

/**
 * The parameter objects that commits need: those of every manifest in their trees. A manifest is known by its
 * content, whatever the path's name (a {@code .bin} or a file stored whole); other blobs are skipped. The blobs are
 * found first and read together, so that a partial clone fetches those it left out in one request.
 */
final class ReferencedObjects {
    private ReferencedObjects() {}

    /** What checking out these commits needs: the manifests in their trees, not their history. */
    static Set<ObjectRef> atCommits(JGitRepo repo, Collection<ObjectId> commits) throws IOException {
        return read(repo, blobsAt(repo, commits));
    }

    /** The blobs in the trees of {@code tips}: commits, or (a pushed tag may name one) trees and blobs themselves. */
    private static List<JGitRepo.FoundBlob> blobsAt(JGitRepo repo, Collection<ObjectId> tips) throws IOException {
        List<JGitRepo.FoundBlob> out = new ArrayList<>();
        try (RevWalk walk = new RevWalk(repo.git())) {
            for (ObjectId tip : tips) {
                RevObject o = walk.peel(walk.parseAny(tip));
                if (o instanceof RevBlob) {
                    out.add(new JGitRepo.FoundBlob(tip.name(), "", o.copy()));
                    continue;
                }
                try (TreeWalk tw = new TreeWalk(repo.git())) {
                    tw.addTree(o instanceof RevCommit commit ? commit.getTree() : o);
                    tw.setRecursive(true);
                    while (tw.next()) {
                        if (tw.getFileMode(0).getObjectType() == Constants.OBJ_BLOB) {
                            out.add(new JGitRepo.FoundBlob(o.name(), tw.getPathString(), tw.getObjectId(0)));
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
        List<JGitRepo.FoundBlob> blobs = blobsAt(repo, tips);
        try (ObjectWalk walk = new ObjectWalk(repo.git())) {
            for (ObjectId tip : tips) walk.markStart(walk.parseAny(tip));
            for (ObjectId k : known) {
                if (!repo.git().getObjectDatabase().has(k)) continue;
                RevObject o = walk.parseAny(k);
                if (o.getType() == Constants.OBJ_COMMIT) walk.markUninteresting((RevCommit) o);
            }
            // commits are walked first; then each one's tree with the trees and blobs no commit before it had
            Map<ObjectId, String> commitOfTree = new HashMap<>();
            for (RevCommit c; (c = walk.next()) != null; )
                commitOfTree.putIfAbsent(c.getTree().copy(), c.name());
            String commit = "";
            for (RevObject o; (o = walk.nextObject()) != null; ) {
                if (o.getType() == Constants.OBJ_TREE) commit = commitOfTree.getOrDefault(o, commit);
                if (o.getType() == Constants.OBJ_BLOB) {
                    blobs.add(new JGitRepo.FoundBlob(commit, walk.getPathString(), o.copy()));
                }
            }
        }
        return read(repo, blobs);
    }

    private static Set<ObjectRef> read(JGitRepo repo, List<JGitRepo.FoundBlob> blobs) throws IOException {
        repo.fetchMissing(blobs.stream().map(JGitRepo.FoundBlob::blob).toList());
        Set<ObjectRef> out = new LinkedHashSet<>();
        for (JGitRepo.FoundBlob b : blobs) {
            try {
                add(out, repo.manifestOfBlob(b.blob()));
            } catch (MissingBlobException e) {
                throw e.of(b.path(), b.where());
            }
        }
        return out;
    }

    private static void add(Set<ObjectRef> out, Optional<Manifest> manifest) {
        manifest.ifPresent(m -> out.addAll(m.objects()));
    }
}
