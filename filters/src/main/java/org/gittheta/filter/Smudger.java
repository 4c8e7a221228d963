package org.gittheta.filter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.CheckpointLayout;
import org.gittheta.format.CheckpointWriter;
import org.gittheta.format.Formats;
import org.gittheta.format.TensorSlot;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ObjectRef;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.progress.Progress;
import org.gittheta.store.MissingObjectException;
import org.gittheta.store.ObjectStore;
import org.gittheta.transfer.ObjectSource;
import org.gittheta.update.ParamDecoder;

/** Rebuilds the exact checkpoint file a manifest describes, fetching missing objects first. */
public final class Smudger {
    private final ObjectStore store;
    private final ParamDecoder decoder;
    private final Optional<ObjectSource> remote;
    private final Progress progress;

    public Smudger(ObjectStore store, Optional<ObjectSource> remote, Progress progress) {
        this.store = store;
        this.decoder = new ParamDecoder(store);
        this.remote = remote;
        this.progress = progress;
    }

    /** Checks everything that can be checked before the first byte is written, so that most failures leave no output. */
    public void smudge(String file, Manifest manifest, OutputStream out) throws IOException {
        CheckpointFormat format = Formats.byName(manifest.format())
                .orElseThrow(() -> new BadCheckpointException(file, "manifest names unknown format '" + manifest.format() + "'"));
        CheckpointLayout layout = format.fromSkeleton(file, manifest.skeleton());
        Map<String, ParamEntry> entries = manifest.byName();
        for (TensorSlot slot : layout.tensors()) {
            ParamEntry e = entries.get(slot.name());
            if (e == null || e.dtype() != slot.dtype() || !e.shape().equals(slot.shape())) {
                throw new BadCheckpointException(file, slot.name(), "manifest and header disagree");
            }
        }
        if (entries.size() != layout.tensors().size() || layout.fileSize() != manifest.fileSize()) {
            throw new BadCheckpointException(file, "manifest and header disagree on the tensors or the file size");
        }
        ensurePresent(file, manifest);
        try (Progress.Task task = progress.start("checking out " + file, layout.fileSize())) {
            // header and padding count as written up front, so that progress ends at the file size
            task.advance(layout.fileSize() - layout.tensors().stream().mapToLong(TensorSlot::length).sum());
            CheckpointWriter.write(layout, (slot, o) -> {
                decoder.decode(entries.get(slot.name()), o);
                task.advance(slot.length());
            }, out);
        }
    }

    /** Fetches, in one batch, every object the manifest needs that the local store lacks. */
    public void ensurePresent(String file, Manifest manifest) throws IOException {
        Set<ObjectRef> missing = new LinkedHashSet<>();
        for (ParamEntry p : manifest.params()) {
            for (ObjectRef ref : p.objects()) if (!store.contains(ref.id())) missing.add(ref);
        }
        if (missing.isEmpty()) return;
        if (remote.isPresent()) remote.get().fetch(new ArrayList<>(missing), store);
        for (ParamEntry p : manifest.params()) {
            for (ObjectRef ref : p.objects()) {
                if (!store.contains(ref.id())) {
                    String where = remote.map(r -> "not in the local store nor in " + r.describe()).orElse("not in the local store and no remote is configured");
                    throw new IOException(file + ": parameter '" + p.name() + "': "
                            + new MissingObjectException(ref.id(), where).getMessage());
                }
            }
        }
    }
}
