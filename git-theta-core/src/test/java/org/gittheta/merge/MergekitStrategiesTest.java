package org.gittheta.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gittheta.merge.StrategiesTest.assertClose;
import static org.gittheta.merge.StrategiesTest.random;
import static org.gittheta.merge.StrategiesTest.read;
import static org.gittheta.merge.StrategiesTest.rounded;
import static org.gittheta.merge.StrategiesTest.vec;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A mergekit configuration as per-tensor strategies, checked against mergekit's own arithmetic written out here. */
class MergekitStrategiesTest {
    private static final int N = 800;
    private static final List<String> NAMES = List.of("model.layers.0.mlp.w", "model.layers.1.attn.w", "lm_head.w");

    private static final String TIES = """
            merge_method: ties
            base_model: base
            models:
              - model: a
                parameters: {weight: 0.7, density: 0.4}
              - model: b
                parameters: {weight: [0.2, 1.0], density: 0.6}
              - model: c
                parameters:
                  weight: [{filter: mlp, value: -0.3}, {value: 0.5}]
                  density: [0.5, 0.25]
            parameters: {lambda: 0.8, normalize: %s}
            """;

    /**
     * mergekit's GTATask for ties, element by element: each δ_j keeps its ⌊density_j · n⌋ largest magnitudes
     * (sparsify.magnitude), weighted deltas w_j δ̂_j, the majority sign + where their sum is ≥ 0 (get_mask, "sum"),
     * the masked sum divided by the masked weights (0 → 1) when normalize, times lambda.
     */
    private static double[] mergekitTies(
            double[] base, double[][] models, double[] weight, double[] density, double lambda, boolean normalize) {
        int m = models.length;
        double[][] weighted = new double[m][N];
        for (int j = 0; j < m; j++) {
            double[] delta = new double[N];
            for (int i = 0; i < N; i++) delta[i] = models[j][i] - base[i];
            int k = (int) (density[j] * N);
            Integer[] order = new Integer[N];
            for (int i = 0; i < N; i++) order[i] = i;
            java.util.Arrays.sort(order, (x, y) -> Double.compare(Math.abs(delta[y]), Math.abs(delta[x])));
            for (int r = 0; r < k; r++) weighted[j][order[r]] = weight[j] * delta[order[r]];
        }
        double[] out = new double[N];
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int j = 0; j < m; j++) sum += weighted[j][i];
            double majority = sum >= 0 ? 1 : -1;
            double mixed = 0;
            double divisor = 0;
            for (int j = 0; j < m; j++) {
                if (Math.signum(weighted[j][i]) == majority) {
                    mixed += weighted[j][i];
                    divisor += weight[j];
                }
            }
            if (divisor == 0) divisor = 1;
            if (normalize) mixed /= divisor;
            out[i] = base[i] + lambda * mixed;
        }
        return out;
    }

    private static double[] run(MergeStrategy strategy, String name, double[] base, double[][] models) {
        List<MergeInput.Model> in = new ArrayList<>();
        for (int j = 0; j < models.length; j++)
            in.add(new MergeInput.Model(j, vec(DType.F32, models[j]), Optional.empty()));
        TensorView out = vec(DType.F32, new double[N]);
        ((MergeStrategy.Arithmetic) strategy)
                .merge(new MergeInput(name, Optional.of(vec(DType.F32, base)), in, in.size()), out);
        return read(out);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void tiesWeighsAsMergekitDoes(boolean normalize) {
        MergekitStrategies s = new MergekitStrategies(MergekitConfig.parse("m.yml", TIES.formatted(normalize)), NAMES);
        double[] base = rounded(DType.F32, random(1, N, 0.02));
        double[][] models = new double[3][];
        for (int j = 0; j < 3; j++) {
            double[] d = random(5 + j, N, 0.002 * (j + 1));
            for (int i = 0; i < N; i++) d[i] += base[i];
            models[j] = rounded(DType.F32, d);
        }
        // 2 layers: layer 0 at t = 0, layer 1 at t = 1; lm_head (outside the layers) at t = 0
        double[][] weights = {{0.7, 0.2, -0.3}, {0.7, 1.0, 0.5}, {0.7, 0.2, 0.5}};
        double[][] densities = {{0.4, 0.6, 0.5}, {0.4, 0.6, 0.25}, {0.4, 0.6, 0.5}};
        for (int t = 0; t < NAMES.size(); t++) {
            MergeStrategy strategy = s.strategyFor(NAMES.get(t));
            assertThat(strategy)
                    .isEqualTo(
                            new Ties(PerModel.of(densities[t]), PerModel.of(0.8), PerModel.of(weights[t]), normalize));
            assertClose(
                    DType.F32,
                    run(strategy, NAMES.get(t), base, models),
                    mergekitTies(base, models, weights[t], densities[t], 0.8, normalize));
        }
        assertThat(s.scopeFor("lm_head.w")).isEqualTo(Scope.ALL);
    }

    @Test
    void modelsInTheEnginesOrder() {
        String slerp = """
                merge_method: slerp
                base_model: b
                models: [{model: a}, {model: b}]
                parameters: {t: [0, 1]}
                """;
        MergekitConfig c = MergekitConfig.parse("m.yml", slerp);
        assertThat(MergekitStrategies.modelOrder(c)).containsExactly(1, 0);
        assertThat(new MergekitStrategies(c, NAMES).strategyFor("model.layers.1.attn.w"))
                .isEqualTo(new Slerp(1));
        String linear = """
                merge_method: linear
                base_model: b
                models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 3}}]
                """;
        MergekitConfig l = MergekitConfig.parse("m.yml", linear);
        assertThat(MergekitStrategies.modelOrder(l)).containsExactly(0, 1);
        assertThat(new MergekitStrategies(l, NAMES).strategyFor("x")).isEqualTo(new Average(PerModel.of(1, 3)));
        String ta = """
                merge_method: task_arithmetic
                base_model: b
                models: [{model: a, parameters: {weight: 1}}, {model: b}, {model: c, parameters: {weight: 3}}]
                parameters: {normalize: true, lambda: 2}
                """;
        MergekitConfig t = MergekitConfig.parse("m.yml", ta);
        assertThat(MergekitStrategies.modelOrder(t)).containsExactly(0, 2);
        // λ · w_j / Σ w
        assertThat(new MergekitStrategies(t, NAMES).strategyFor("x"))
                .isEqualTo(new TaskArithmetic(PerModel.of(0.5, 1.5)));
    }

    @Test
    void valuesThatCannotBeHonouredAreRefusedNamingTheTensor() {
        MergekitStrategies rescale = new MergekitStrategies(
                MergekitConfig.parse("m.yml", TIES.formatted(true).replace("normalize: true", "rescale: true")), NAMES);
        assertThatThrownBy(() -> rescale.check(NAMES))
                .isInstanceOf(MergekitConfigException.class)
                .hasMessage("m.yml:1: ties with rescale: true at tensor model.layers.0.mlp.w is not supported"
                        + " (git-theta does not rescale the sparsified task vectors)");
        MergekitStrategies dare = new MergekitStrategies(MergekitConfig.parse("m.yml", """
                        merge_method: dare_linear
                        base_model: base
                        models:
                          - {model: a, parameters: {weight: 1, density: 0.5}}
                          - {model: b, parameters: {weight: 1, density: [0.5, 0.9]}}
                        """), NAMES);
        assertThat(dare.strategyFor("model.layers.0.mlp.w")).isEqualTo(new Dare(0.5, 0, PerModel.of(1, 1), false));
        assertThatThrownBy(() -> dare.check(NAMES))
                .hasMessage("m.yml:1: dare_linear takes one density for all models here, not 0.5,0.9"
                        + " at tensor model.layers.1.attn.w");
    }
}
