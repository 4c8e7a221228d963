package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MergekitConfigTest {
    private static final double EXACT = 1e-15;

    private static String example(String name) throws IOException {
        try (InputStream in = MergekitConfigTest.class.getResourceAsStream("/mergekit/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static MergekitConfig parse(String yaml) {
        return MergekitConfig.parse("merge.yml", yaml);
    }

    @Test
    void readsATiesConfigWithGradientsAndAFilter() throws IOException {
        MergekitConfig c = MergekitConfig.parse("ties-gradients.yml", example("ties-gradients.yml"));
        assertThat(c.method()).isEqualTo(MergekitMethod.TIES);
        assertThat(c.strategy()).isEqualTo("ties");
        assertThat(c.method().signElection()).isTrue();
        assertThat(c.baseModel()).contains("release/base");
        assertThat(c.models()).containsExactly("feature/code", "v2.0", "5d0e7a1");
        assertThat(c.baseIndex()).isEmpty();
        assertThat(c.dtype()).contains("bfloat16");
        assertThat(c.globalValue("normalize", "model.layers.0.mlp.up_proj.weight", 40))
                .isEqualTo(1);
        assertThat(c.globalValue("int8_mask", "model.layers.0.mlp.up_proj.weight", 40))
                .isEqualTo(1);
        assertThat(c.globalValue("lambda", "model.layers.0.mlp.up_proj.weight", 40))
                .isEqualTo(1);

        // 40 layers: layer i sits at t = i/39. density [0.9, 0.6, 0.3]; weight [0.1, 0.5, 0.9, 0.5].
        String first = "model.layers.0.self_attn.q_proj.weight";
        String third = "model.layers.13.self_attn.q_proj.weight"; // t = 1/3
        String twoThirds = "model.layers.26.mlp.down_proj.weight"; // t = 2/3
        String last = "model.layers.39.mlp.down_proj.weight"; // t = 1
        assertThat(c.modelValue("density", 0, first, 40)).isEqualTo(0.9);
        assertThat(c.modelValue("density", 0, third, 40)).isCloseTo(0.7, within(1e-12)); // 1/3·0.9 + 2/3·0.6
        assertThat(c.modelValue("density", 0, twoThirds, 40)).isCloseTo(0.5, within(1e-12)); // 2/3·0.6 + 1/3·0.3
        assertThat(c.modelValue("density", 0, last, 40)).isCloseTo(0.3, within(EXACT));
        assertThat(c.modelValue("weight", 1, first, 40)).isEqualTo(0.1);
        assertThat(c.modelValue("weight", 1, third, 40)).isCloseTo(0.5, within(1e-12));
        assertThat(c.modelValue("weight", 1, twoThirds, 40)).isCloseTo(0.9, within(1e-12));
        assertThat(c.modelValue("weight", 1, last, 40)).isCloseTo(0.5, within(EXACT));
        // outside the layers mergekit uses t = 0
        assertThat(c.modelValue("weight", 1, "model.embed_tokens.weight", 40)).isEqualTo(0.1);
        assertThat(c.modelValue("density", 0, "lm_head.weight", 40)).isEqualTo(0.9);
        // filter 'self_attn' then a default
        assertThat(c.modelValue("weight", 2, third, 40)).isEqualTo(0.6);
        assertThat(c.modelValue("weight", 2, twoThirds, 40)).isEqualTo(0.2);
        assertThat(c.modelValues("density", third, 40)).containsExactly(new double[] {0.7, 0.4, 0.25}, within(1e-12));
    }

    @Test
    void gradientsBetweenPointsAreLinearInDepth() {
        MergekitConfig c = parse("""
                merge_method: task_arithmetic
                base_model: base
                models:
                  - model: a
                    parameters: {weight: [0, 0.3, 0.7, 1], density: [1, 0.7, 0.1]}
                """);
        // 5 layers: layer 1 is at t = 0.25; weight's scaled position 0.75 -> 0.75·0.3; density's 0.5 -> 0.85
        assertThat(c.modelValue("weight", 0, "model.layers.1.mlp.weight", 5)).isCloseTo(0.225, within(1e-12));
        assertThat(c.modelValue("density", 0, "model.layers.1.mlp.weight", 5)).isCloseTo(0.85, within(1e-12));
        // gguf names; layer 3 of 5 is at 0.75: weight 2.25 -> 0.7 + 0.25·0.3
        assertThat(c.modelValue("weight", 0, "blk.3.ffn_up.weight", 5)).isCloseTo(0.775, within(1e-12));
        // a single layer is at t = 1, as in mergekit
        assertThat(c.modelValue("weight", 0, "model.layers.0.mlp.weight", 1)).isEqualTo(1.0);
    }

    @Test
    void slerpWithGradientsChosenByFilter() throws IOException {
        MergekitConfig c = MergekitConfig.parse("slerp-gradients.yml", example("slerp-gradients.yml"));
        assertThat(c.strategy()).isEqualTo("slerp");
        assertThat(c.baseIndex()).hasValue(0);
        // layer 20 of 40: t = 20/39, scaled into 5 points = 80/39 = 2 + 2/39
        assertThat(c.globalValue("t", "model.layers.20.self_attn.k_proj.weight", 40))
                .isCloseTo(0.6 + 0.2 * 2 / 39, within(1e-12));
        assertThat(c.globalValue("t", "model.layers.20.mlp.gate_proj.weight", 40))
                .isCloseTo(0.4 - 0.2 * 2 / 39, within(1e-12));
        assertThat(c.globalValue("t", "model.layers.20.input_layernorm.weight", 40))
                .isEqualTo(0.4);
        assertThat(c.globalValue("t", "model.embed_tokens.weight", 40)).isEqualTo(0.4);
        assertThat(c.globalValue("t", "model.layers.39.self_attn.o_proj.weight", 40))
                .isEqualTo(1.0);
    }

    @Test
    void linearSoupAndUnnormalizedTies() throws IOException {
        MergekitConfig linear = MergekitConfig.parse("linear-soup.yml", example("linear-soup.yml"));
        assertThat(linear.strategy()).isEqualTo("average");
        assertThat(linear.baseModel()).isEmpty();
        assertThat(linear.modelValues("weight", "model.norm.weight", 40)).containsExactly(0.5, 0.2, 0.3);
        assertThat(linear.globalValue("normalize", "model.norm.weight", 40)).isEqualTo(1);

        MergekitConfig sum = MergekitConfig.parse("ties-unnormalized.yml", example("ties-unnormalized.yml"));
        assertThat(sum.globalValue("normalize", "x", 0)).isEqualTo(0);
        assertThat(sum.modelValues("density", "model.layers.3.mlp.weight", 32)).containsExactly(0.6, 0.6);
    }

    @Test
    void oneSliceSpanningEveryLayerReadsAsTheSameModels() throws IOException {
        MergekitConfig slices = MergekitConfig.parse("slerp-slices.yml", example("slerp-slices.yml"));
        MergekitConfig models = MergekitConfig.parse("slerp-gradients.yml", example("slerp-gradients.yml"));
        assertThat(slices.models()).containsExactly("chat", "math").isEqualTo(models.models());
        assertThat(slices.baseModel()).isEqualTo(models.baseModel());
        assertThat(slices.baseIndex()).isEqualTo(models.baseIndex());
        for (String tensor : List.of(
                "model.embed_tokens.weight",
                "model.layers.0.self_attn.q_proj.weight",
                "model.layers.13.mlp.up_proj.weight",
                "model.layers.31.input_layernorm.weight")) {
            assertThat(slices.globalValue("t", tensor, 32)).as(tensor).isEqualTo(models.globalValue("t", tensor, 32));
        }
        slices.requireLayers(32);
        assertThatThrownBy(() -> slices.requireLayers(40))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage("slerp-slices.yml:5: layer_range [0, 32] does not span the checkpoint's 40 layers:"
                        + " git-theta merges whole checkpoints, not slices of their layers");
        models.requireLayers(40);
    }

    @Test
    void aSliceSettingComesBetweenTheSourcesAndTheTopLevelOne() {
        MergekitConfig c = parse("""
                merge_method: ties
                base_model: top
                slices:
                  - sources:
                      - model: a
                        layer_range: [0, 4]
                        parameters: {weight: 0.7}
                      - model: b
                        layer_range: [0, 4]
                    base_model: v1.0
                    parameters:
                      weight: [{filter: mlp, value: 0.2}]
                      lambda: 0.5
                parameters:
                  weight: 0.9
                  density: 0.3
                  lambda: 2
                """);
        assertThat(c.baseModel()).contains("v1.0"); // the slice's base, as mergekit plans it
        assertThat(c.modelValue("weight", 0, "model.layers.1.mlp.w", 4)).isEqualTo(0.7);
        assertThat(c.modelValue("weight", 1, "model.layers.1.mlp.w", 4)).isEqualTo(0.2);
        assertThat(c.modelValue("weight", 1, "model.layers.1.attn.w", 4)).isEqualTo(0.9); // no filter matched
        assertThat(c.modelValue("density", 1, "model.layers.1.attn.w", 4)).isEqualTo(0.3);
        assertThat(c.globalValue("lambda", "model.layers.1.attn.w", 4)).isEqualTo(0.5);
    }

    @Test
    void perModelSettingsComeBeforeGlobalOnesAndDefaultsLast() {
        MergekitConfig c = parse("""
                merge_method: dare_ties
                base_model: v1.0
                models:
                  - model: v1.0
                  - model: feature/math
                    parameters:
                      weight: 0.2
                  - model: 3f2a9c1
                    parameters:
                      weight:
                        - filter: mlp
                          value: 2
                  - model: 1234567
                parameters:
                  weight: 0.5
                  density:
                    - filter: layers.1.
                      value: 0.9
                    - filter: self_attn
                      value: 0.7
                    - filter: "*"
                      value: 0.4
                  lambda: [1, 2]
                """);
        assertThat(c.strategy()).isEqualTo("dare-ties");
        assertThat(c.models()).containsExactly("v1.0", "feature/math", "3f2a9c1", "1234567");
        assertThat(c.baseIndex()).hasValue(0);
        String attn = "model.layers.2.self_attn.v_proj.weight";
        String mlp = "model.layers.2.mlp.up_proj.weight";
        assertThat(c.modelValue("weight", 1, attn, 4)).isEqualTo(0.2);
        assertThat(c.modelValue("weight", 2, mlp, 4)).isEqualTo(2);
        // model 2's filter does not match attention: the global weight applies
        assertThat(c.modelValue("weight", 2, attn, 4)).isEqualTo(0.5);
        assertThat(c.modelValue("weight", 3, attn, 4)).isEqualTo(0.5);
        // entries in order: layers.1. wins over self_attn; '*' is the default
        assertThat(c.modelValue("density", 1, "model.layers.1.self_attn.q_proj.weight", 4))
                .isEqualTo(0.9);
        assertThat(c.modelValue("density", 1, attn, 4)).isEqualTo(0.7);
        assertThat(c.modelValue("density", 1, mlp, 4)).isEqualTo(0.4);
        // global gradient: layer 2 of 4 at t = 2/3
        assertThat(c.globalValue("lambda", mlp, 4)).isCloseTo(1 + 2.0 / 3, within(1e-12));
        // defaults of dare_ties
        assertThat(c.globalValue("rescale", mlp, 4)).isEqualTo(1);
        assertThat(c.globalValue("normalize", mlp, 4)).isEqualTo(0);
    }

    @Test
    void methodDefaultsAndMapping() {
        MergekitConfig c = parse("""
                merge_method: breadcrumbs
                base_model: main
                models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]
                """);
        assertThat(c.strategy()).isEqualTo("breadcrumbs");
        assertThat(c.method().signElection()).isFalse();
        assertThat(c.modelValue("gamma", 0, "w", 0)).isEqualTo(0.01);
        assertThat(c.modelValue("density", 0, "w", 0)).isEqualTo(1.0);
        assertThatThrownBy(() -> c.modelValue("epsilon", 0, "w", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epsilon");
        assertThat(List.of(MergekitMethod.values()).stream()
                        .map(MergekitMethod::strategy)
                        .distinct()
                        .toList())
                .containsExactly(
                        "average",
                        "task-arithmetic",
                        "ties",
                        "dare-ties",
                        "dare",
                        "breadcrumbs",
                        "model-stock",
                        "slerp");
    }

    @Test
    void aMissingValueAtSomeTensorNamesTheModelAndTheTensor() {
        MergekitConfig c = parse("""
                merge_method: linear
                models:
                  - model: a
                    parameters:
                      weight: [{filter: mlp, value: 1}]
                """);
        assertThat(c.modelValue("weight", 0, "model.layers.0.mlp.w", 2)).isEqualTo(1);
        assertThatThrownBy(() -> c.modelValue("weight", 0, "model.layers.0.attn.w", 2))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage("merge.yml:3: no 'weight' for models[0] 'a' at tensor model.layers.0.attn.w");
    }

    @Test
    void layerIndexesAndCounts() {
        assertThat(MergekitConfig.layerIndex("model.layers.17.mlp.up_proj.weight"))
                .hasValue(17);
        assertThat(MergekitConfig.layerIndex("blk.7.attn_q.weight")).hasValue(7);
        assertThat(MergekitConfig.layerIndex("transformer.h.3.attn.c_attn.weight"))
                .hasValue(3);
        assertThat(MergekitConfig.layerIndex("model.embed_tokens.weight")).isEqualTo(OptionalInt.empty());
        assertThat(MergekitConfig.layerIndex("token_embd.weight")).isEmpty();
        assertThat(MergekitConfig.layerCount(List.of("blk.0.a", "blk.11.b", "output.weight")))
                .isEqualTo(12);
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                bad("""
                        merge_method: della
                        models: [{model: a}]
                        """, 1, "unsupported merge_method 'della'"),
                bad("""
                        merge_method: linear
                        models:
                          - model: a
                            paramters: {weight: 1}
                        """, 4, "unknown key 'paramters' in models[0]"),
                bad("""
                        merge_methd: linear
                        """, 1, "unknown key 'merge_methd'"),
                bad("""
                        models: [{model: a, parameters: {weight: 1}}]
                        """, 1, "missing 'merge_method'"),
                bad("""
                        merge_method: linear
                        """, 1, "give the models under either 'models' or 'slices'"),
                bad("""
                        merge_method: linear
                        models: [{model: a, parameters: {weight: 1}}]
                        slices: [{sources: [{model: a, layer_range: [0, 2], parameters: {weight: 1}}]}]
                        """, 1, "give the models under either 'models' or 'slices'"),
                bad("""
                        merge_method: passthrough
                        slices:
                          - sources: [{model: a, layer_range: [0, 24]}]
                          - sources: [{model: b, layer_range: [20, 40]}]
                        """, 1, "unsupported merge_method 'passthrough'"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, layer_range: [0, 20], parameters: {weight: 1}}]
                          - sources: [{model: a, layer_range: [20, 40], parameters: {weight: 1}}]
                        """, 4, "several slices build a model from layers of others"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources:
                              - {model: a, layer_range: [0, 40], parameters: {weight: 1}}
                              - {model: b, layer_range: [0, 32], parameters: {weight: 1}}
                        """, 5, "the sources of a slice span different layers"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, layer_range: [8, 40], parameters: {weight: 1}}]
                        """, 3, "layer_range starts at layer 8"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, layer_range: [0, 1.5], parameters: {weight: 1}}]
                        """, 3, "layer_range must be [start, end], whole numbers"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, parameters: {weight: 1}}]
                        """, 3, "missing 'layer_range' in slices[0].sources[0]"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, layer_range: [0, 2], parameters: {weight: 1}}]
                            residual_weight: 0.5
                        """, 4, "unsupported key 'residual_weight' in slices[0]"),
                bad("""
                        merge_method: linear
                        slices:
                          - sources: [{model: a, layer_range: [0, 2]}]
                        """, 3, "slices[0].sources[0] 'a' has no 'weight'"),
                bad("""
                        merge_method: linear
                        models: []
                        """, 2, "models must be a non-empty list"),
                bad("""
                        merge_method: linear
                        models:
                          - model: a
                          - model: b
                            parameters: {weight: 1}
                        """, 3, "models[0] 'a' has no 'weight'"),
                bad("""
                        merge_method: ties
                        base_model: b
                        models:
                          - model: a
                            parameters: {weight: 1, epsilon: 0.1}
                        """, 5, "unknown parameter 'epsilon'"),
                bad("""
                        merge_method: ties
                        base_model: b
                        models:
                          - model: a
                            parameters: {weight: 1, lambda: 0.5}
                        """, 5, "parameter 'lambda' of ties is global"),
                bad("""
                        merge_method: linear
                        models:
                          - model: a
                            parameters: {weight: abc}
                        """, 4, "parameter 'weight' must be a number, not 'abc'"),
                bad("""
                        merge_method: linear
                        models:
                          - model: a
                            parameters: {weight: [1, x]}
                        """, 4, "parameter 'weight' must be a number, not 'x'"),
                bad("""
                        merge_method: linear
                        models: [{model: a, parameters: {weight: 1}}]
                        parameters: {normalize: 2}
                        """, 3, "parameter 'normalize' must be true or false"),
                bad("""
                        merge_method: linear
                        models:
                          - model: a
                            parameters: {weight: [{filter: mlp, valeu: 1}]}
                        """, 4, "unknown key 'valeu' in an entry of 'weight'"),
                bad("""
                        merge_method: slerp
                        base_model: a
                        models: [{model: a}, {model: b}, {model: c}]
                        parameters: {t: 0.5}
                        """, 3, "slerp needs exactly two models"),
                bad("""
                        merge_method: slerp
                        base_model: a
                        models: [{model: a}, {model: b}]
                        """, 1, "slerp needs parameters: t"),
                bad("""
                        merge_method: model_stock
                        base_model: a
                        models: [{model: a}, {model: b}]
                        """, 3, "model_stock needs at least two models"),
                bad("""
                        merge_method: linear
                        models: [{model: a, parameters: {weight: 1}}, {model: a, parameters: {weight: 1}}]
                        """, 2, "models[1] 'a' is listed twice"),
                bad(linearWith("dtype: int8"), 2, "unsupported dtype 'int8'"),
                bad(linearWith("merge_method: ties"), 2, "duplicate key 'merge_method' in the document"),
                bad("""
                        merge_method: linear
                        models: [{model: a, parameters: {weight: 1}}
                        """, 3, "not valid YAML: expected ',' or ']'"),
                bad(linearWith("out_dtype: float16"), 2, "unsupported key 'out_dtype'"),
                bad(linearWith("tokenizer_source: union"), 2, "unsupported key 'tokenizer_source'"),
                bad("""
                        merge_method: linear
                        models: [{model: a, lora: l, parameters: {weight: 1}}]
                        """, 2, "unsupported key 'lora' in models[0]"),
                bad("""
                        merge_method: linear
                        models: [{model: {path: x}, parameters: {weight: 1}}]
                        """, 2, "models[0].model must name a git revision"),
                bad(linearWith("base_model: !!binary aGVsbG8="), 2, "base_model must name a git revision"),
                bad("""
                        merge_method: !!python/object/apply:os.system [ls]
                        models: [{model: a}]
                        """, 1, "merge_method must be a name"),
                bad("""
                        - just a list
                        """, 1, "the document must be a mapping"),
                bad("""
                        # nothing
                        """, 1, "empty document"));
    }

    /** A valid one-model linear merge with {@code line} added as its second line. */
    private static String linearWith(String line) {
        return "merge_method: linear\n" + line + "\nmodels: [{model: a, parameters: {weight: 1}}]\n";
    }

    private static Arguments bad(String yaml, int line, String problem) {
        return Arguments.of(yaml, line, problem);
    }

    @ParameterizedTest
    @MethodSource("badConfigs")
    void eachErrorIsOneLineWithFileLineAndName(String yaml, int line, String problem) {
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessageStartingWith("merge.yml:" + line + ": ")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    // The timeouts guard against exponential expansion hanging the build; they are not speed targets.

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void deepNestingIsRefused() {
        String yaml = "merge_method: linear\nparameters: {weight: " + "[".repeat(50_000) + "]".repeat(50_000) + "}\n";
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage("merge.yml:2: nested deeper than 16 levels");
        String block = "merge_method: linear\nmodels:\n" + "- ".repeat(1_000) + "a\n";
        assertThatThrownBy(() -> parse(block))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessageContaining("nested deeper than 16 levels");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void billionLaughsIsRefused() {
        StringBuilder yaml = new StringBuilder("merge_method: linear\n")
                .append("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int level = 1; level <= 9; level++) {
            yaml.append('l').append(level).append(": &l").append(level).append(" [");
            for (int i = 0; i < 9; i++)
                yaml.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
            yaml.append("]\n");
        }
        yaml.append("models: [{model: a, parameters: {weight: *l9}}]\n");
        assertThatThrownBy(() -> parse(yaml.toString()))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessageMatching("merge\\.yml:\\d+: more than 32 YAML aliases");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void hugeDocumentsAndScalarsAreRefused() {
        String huge = "merge_method: linear\nmodels: [{model: '" + "a".repeat(2 << 20) + "'}]\n";
        assertThatThrownBy(() -> parse(huge))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage("merge.yml:1: larger than 1024 KiB; not a merge config");
        String many =
                "merge_method: linear\nmodels: [{model: a, parameters: {weight: [" + "0,".repeat(200_000) + "0]}}]\n";
        assertThatThrownBy(() -> parse(many))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessageContaining("more than 20000 YAML nodes");
    }

    @Test
    void readsAFileAndRefusesOversizedOrNonUtf8Ones(@TempDir Path dir) throws IOException {
        Path good = Files.writeString(dir.resolve("merge.yml"), example("linear-soup.yml"));
        assertThat(MergekitConfig.read(good).models()).hasSize(3);
        Path big = Files.write(dir.resolve("big.yml"), new byte[(1 << 20) + 1]);
        assertThatThrownBy(() -> MergekitConfig.read(big))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage(big + ":1: larger than 1024 KiB; not a merge config");
        Path endless = Path.of("/dev/zero"); // reports size 0: read up to the limit, never to the end
        assertThatThrownBy(() -> MergekitConfig.read(endless))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage(endless + ":1: larger than 1024 KiB; not a merge config");
        byte[] latin1Text = "merge_method: caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        Path latin1 = Files.write(dir.resolve("latin1.yml"), latin1Text);
        assertThatThrownBy(() -> MergekitConfig.read(latin1))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage(latin1 + ":1: not UTF-8 text");
    }

    @Test
    void aFewAliasesForSharedSettingsAreFine() {
        MergekitConfig c = parse("""
                merge_method: ties
                base_model: base
                models:
                  - model: a
                    parameters: &shared {weight: [0, 1], density: 0.5}
                  - model: b
                    parameters: *shared
                  - model: c
                    parameters:
                parameters:
                  weight: 2
                """);
        assertThat(c.modelValue("weight", 2, "model.layers.1.mlp.w", 3)).isEqualTo(2);
        assertThat(c.modelValues("weight", "model.layers.1.mlp.w", 3)).containsExactly(0.5, 0.5, 2.0);
    }
}
