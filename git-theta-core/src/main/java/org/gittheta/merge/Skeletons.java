package org.gittheta.merge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.gittheta.format.BadCheckpointException;
import org.gittheta.format.CheckpointFormat;
import org.gittheta.format.Formats;
import org.gittheta.format.SafetensorsFormat;
import org.gittheta.format.SafetensorsWriter;
import org.gittheta.manifest.Manifest;
import org.gittheta.manifest.ParamEntry;
import org.gittheta.update.ParamDecoder;

/**
 * The file header of a merged checkpoint. When the merged parameters have exactly the names, types and shapes of
 * one model, that model's header is reused byte for byte (ours first, unless ours left the header as in the base:
 * then the others first, in order). Otherwise (a parameter added or deleted on one side) a safetensors header is
 * rebuilt: ours' tensor order, then the others' additions in order, and ours' {@code __metadata__}. A reused header
 * that records checksums of tensor bytes (a torch zip's CRC-32s) gets those of the parameters whose merged values
 * are not that model's recomputed, so that the merged file is valid.
 */
final class Skeletons {
    private Skeletons() {}

    static Manifest merged(
            String path, List<Manifest> models, Optional<Manifest> base, List<ParamEntry> params, ParamDecoder decoder)
            throws IOException {
        Manifest ours = models.getFirst();
        boolean oursKeptHeader = base.isPresent() && Arrays.equals(base.get().skeleton(), ours.skeleton());
        List<Manifest> candidates = new ArrayList<>(models.subList(1, models.size()));
        if (oursKeptHeader) candidates.add(ours);
        else candidates.addFirst(ours);
        Map<String, String> wanted = specs(params);
        for (Manifest m : candidates) {
            if (specs(m.params()).equals(wanted)) {
                return new Manifest(m.format(), withValues(path, m, params, decoder), m.fileSize(), params);
            }
        }
        if (!ours.format().equals(SafetensorsFormat.INSTANCE.name())) {
            throw new BadCheckpointException(
                    path, "cannot rebuild a " + ours.format() + " header for a merge that adds or deletes parameters");
        }
        SafetensorsFormat st = SafetensorsFormat.INSTANCE;
        List<String> order = new ArrayList<>();
        st.fromSkeleton(path, ours.skeleton()).tensors().forEach(s -> order.add(s.name()));
        for (Manifest other : models.subList(1, models.size())) {
            st.fromSkeleton(path, other.skeleton()).tensors().forEach(s -> {
                if (!order.contains(s.name())) order.add(s.name());
            });
        }
        Map<String, ParamEntry> byName = new HashMap<>();
        for (ParamEntry p : params) byName.put(p.name(), p);
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (String name : order) {
            ParamEntry p = byName.get(name);
            if (p != null) tensors.add(new SafetensorsWriter.Tensor(name, p.dtype(), p.shape(), out -> {}));
        }
        byte[] header = SafetensorsWriter.header(tensors, metadata(path, ours.skeleton()));
        return new Manifest(ours.format(), header, st.fromSkeleton(path, header).fileSize(), params);
    }

    /** {@code m}'s skeleton describing {@code params}, which have {@code m}'s names, types and shapes. */
    private static byte[] withValues(String path, Manifest m, List<ParamEntry> params, ParamDecoder decoder)
            throws IOException {
        Map<String, ParamEntry> own = m.byName();
        Map<String, ParamEntry> changed = new HashMap<>();
        for (ParamEntry p : params) {
            if (!p.sha256().equals(own.get(p.name()).sha256())) changed.put(p.name(), p);
        }
        if (changed.isEmpty()) return m.skeleton();
        CheckpointFormat format = Formats.byName(m.format())
                .orElseThrow(
                        () -> new BadCheckpointException(path, "manifest names unknown format '" + m.format() + "'"));
        return format.withValues(
                path, m.skeleton(), changed.keySet(), (slot, out) -> decoder.decode(changed.get(slot.name()), out));
    }

    private static Map<String, String> specs(List<ParamEntry> params) {
        Map<String, String> m = new HashMap<>();
        for (ParamEntry p : params) m.put(p.name(), p.dtype() + "" + p.shape());
        return m;
    }

    /** The {@code __metadata__} strings of a safetensors skeleton (8-byte length, then the JSON header). */
    private static Map<String, String> metadata(String path, byte[] skeleton) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        try (JsonParser p = new JsonFactory().createParser(skeleton, 8, skeleton.length - 8)) {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new BadCheckpointException(path, "header is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                if (key.equals("__metadata__") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String k = p.currentName();
                        p.nextToken();
                        meta.put(k, p.getValueAsString());
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return meta;
    }
}
