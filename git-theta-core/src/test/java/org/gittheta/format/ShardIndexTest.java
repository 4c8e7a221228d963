package org.gittheta.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ShardIndexTest {
    private static ShardIndex parse(String path, String json) throws BadCheckpointException {
        return ShardIndex.parse(path, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheWeightMapAndPlacesShardsBesideTheIndex() throws Exception {
        ShardIndex i = parse("llm/model.safetensors.index.json", """
                {"metadata": {"total_size": 24, "nested": [1, {"a": 2}]},
                 "weight_map": {"b.weight": "model-00002-of-00002.safetensors",
                                "a.weight": "model-00001-of-00002.safetensors",
                                "c.weight": "model-00002-of-00002.safetensors"}}""");
        assertThat(i.weightMap()).containsOnlyKeys("a.weight", "b.weight", "c.weight");
        assertThat(i.shards()).containsExactly("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        assertThat(i.shardPath("model-00001-of-00002.safetensors")).isEqualTo("llm/model-00001-of-00002.safetensors");
        assertThat(parse("pytorch_model.bin.index.json", "{\"weight_map\": {\"w\": \"p-1.bin\"}}")
                        .shardPath("p-1.bin"))
                .isEqualTo("p-1.bin");
        assertThat(ShardIndex.isIndexPath("pytorch_model.bin.index.json")).isTrue();
        assertThat(ShardIndex.isIndexPath("model.safetensors")).isFalse();
    }

    @Test
    void refusesWhatIsNotAnIndexWithOneLineNamingTheFile() {
        assertThatThrownBy(() -> parse("x.index.json", "{\"metadata\": {}}"))
                .hasMessage("x.index.json: no weight_map: not a sharded checkpoint's index");
        assertThatThrownBy(() -> parse("x.index.json", "[1]")).hasMessage("x.index.json: not a JSON object");
        assertThatThrownBy(() -> parse("x.index.json", "{\"weight_map\": {\"w\": 3}}"))
                .hasMessage("x.index.json: tensor 'w': weight_map value is not a file name");
        assertThatThrownBy(() -> parse("x.index.json", "{\"weight_map\": {"))
                .hasMessageStartingWith("x.index.json: not valid JSON");
        for (String shard : new String[] {"../model.safetensors", "/etc/passwd", "a//b", "./m", ""}) {
            assertThatThrownBy(() -> parse("x.index.json", "{\"weight_map\": {\"w\": \"" + shard + "\"}}"))
                    .as(shard)
                    .hasMessageContaining("is not a file beside the index");
        }
    }
}
