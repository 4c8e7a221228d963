package org.gittheta.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.gittheta.text.JsonErrors;

/**
 * The index of a sharded checkpoint, as Hugging Face writes it ({@code model.safetensors.index.json},
 * {@code pytorch_model.bin.index.json}): {@code {"metadata": {...}, "weight_map": {"<parameter>": "<shard file>"}}}.
 * Shard files are named relative to the index's folder. The index stays a small text file in Git; each shard is
 * an ordinary tracked checkpoint.
 *
 * @param path      the index's path from the top of the repository
 * @param weightMap parameter name → shard file name, as the index says
 */
public record ShardIndex(String path, SortedMap<String, String> weightMap) {
    /** Hugging Face's suffix for the index beside sharded weights. */
    public static final String SUFFIX = ".index.json";

    private static final JsonFactory JSON = new JsonFactory();

    public ShardIndex {
        weightMap = Collections.unmodifiableSortedMap(new TreeMap<>(weightMap));
    }

    public static boolean isIndexPath(String path) {
        return path.endsWith(SUFFIX);
    }

    /** Parses an index; a shard name that leaves the index's folder or is not a plain relative path is refused. */
    public static ShardIndex parse(String path, byte[] json) throws BadCheckpointException {
        SortedMap<String, String> map = new TreeMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new BadCheckpointException(path, "not a JSON object");
            boolean found = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("weight_map")) {
                    p.skipChildren();
                    continue;
                }
                if (value != JsonToken.START_OBJECT) {
                    throw new BadCheckpointException(path, "weight_map is not an object");
                }
                found = true;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String param = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new BadCheckpointException(path, param, "weight_map value is not a file name");
                    }
                    map.put(param, checkedShard(path, param, p.getText()));
                }
            }
            if (!found) throw new BadCheckpointException(path, "no weight_map: not a sharded checkpoint's index");
        } catch (BadCheckpointException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new BadCheckpointException(path, "not valid JSON: " + JsonErrors.message(e));
        } catch (IOException e) {
            throw new BadCheckpointException(path, "cannot be read: " + e.getMessage(), e);
        }
        return new ShardIndex(path, map);
    }

    private static String checkedShard(String path, String param, String shard) throws BadCheckpointException {
        boolean plain = !shard.isEmpty() && !shard.startsWith("/") && !shard.contains("\\") && !shard.contains("\0");
        for (String part : shard.split("/", -1)) plain &= !part.isEmpty() && !part.equals(".") && !part.equals("..");
        if (!plain) {
            throw new BadCheckpointException(path, param, "shard '" + shard + "' is not a file beside the index");
        }
        return shard;
    }

    /** The folder the index is in, from the top of the repository ({@code ""} at the top). */
    public String folder() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }

    /** The shard files' names, as the index writes them. */
    public SortedSet<String> shards() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(weightMap.values()));
    }

    /** A shard's path from the top of the repository. */
    public String shardPath(String shard) {
        return folder() + shard;
    }
}
