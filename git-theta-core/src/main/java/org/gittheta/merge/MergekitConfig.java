package org.gittheta.merge;

import static org.gittheta.merge.MergekitYaml.line;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * A merge read from a mergekit YAML file: the method, the base and the models (each a git revision or a path, as
 * written), and every parameter as a function of the tensor name, resolved with mergekit's precedence: the model's
 * own setting, then the slice's {@code parameters}, then the top-level ones, then the method's default. Within a
 * setting, conditional entries are tried in order and a list of numbers is a gradient over the layers.
 *
 * <p>The models are listed under {@code models}, or under {@code slices} as one slice whose sources all span every
 * layer: mergekit reads {@code models} as exactly that slice. Slices of some layers build another model (a
 * passthrough), which a merge of whole checkpoints does not.
 */
public final class MergekitConfig {
    private static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16", "float64");
    private static final Map<String, String> UNSUPPORTED_KEYS = Map.of(
            "modules", "git-theta merges whole checkpoints; list them under models:",
            "tokenizer_source", "git-theta merges tensors; tokenizer files merge as ordinary git files",
            "tokenizer", "git-theta merges tensors; tokenizer files merge as ordinary git files",
            "chat_template", "git-theta merges tensors; a chat template is an ordinary git file",
            "out_dtype", "a merge keeps each parameter's stored dtype");
    /** The block index in names such as {@code model.layers.7.mlp}, {@code blk.7.attn_q}, {@code transformer.h.7}. */
    private static final Pattern LAYER =
            Pattern.compile("(?:^|\\.)(?:layers|layer|blk|h|blocks|block)\\.(\\d+)(?:\\.|$)");

    private static final CoreSchema SCHEMA = new CoreSchema();

    /**
     * One input model: the revision or path as written, where it is listed ({@code models[0]}), its line, and its own
     * parameter settings.
     */
    private record Model(String revision, String where, int line, Map<String, MergekitSetting> parameters) {}

    /** The layers {@code [0, end)} that the sources of a slice span, on line {@code line}. */
    private record Layers(int end, int line) {}

    private final String file;
    private final MergekitMethod method;
    private final int methodLine;
    private final Optional<String> baseModel;
    private final List<Model> models;
    private final Map<String, MergekitSetting> sliceParameters;
    private final Map<String, MergekitSetting> parameters;
    private final Optional<Layers> layers;
    private final Optional<String> dtype;

    private MergekitConfig(
            String file,
            MergekitMethod method,
            int methodLine,
            Optional<String> baseModel,
            List<Model> models,
            Map<String, MergekitSetting> sliceParameters,
            Map<String, MergekitSetting> parameters,
            Optional<Layers> layers,
            Optional<String> dtype) {
        this.file = file;
        this.method = method;
        this.methodLine = methodLine;
        this.baseModel = baseModel;
        this.models = List.copyOf(models);
        this.sliceParameters = Map.copyOf(sliceParameters);
        this.parameters = Map.copyOf(parameters);
        this.layers = layers;
        this.dtype = dtype;
    }

    /**
     * Reads the mergekit configuration {@code yamlText}; {@code file} names it in error messages.
     *
     * @throws MergekitConfigException naming the file, the line and what is wrong, for invalid or hostile YAML,
     *                                 an unsupported method or key, or a missing required parameter
     */
    public static MergekitConfig parse(String file, String yamlText) {
        return new Reader(file).read(MergekitYaml.load(file, yamlText));
    }

    /**
     * Reads the mergekit configuration in {@code file} (UTF-8), refusing files over 1 MiB (reading no further);
     * errors name the file as given.
     *
     * @throws MergekitConfigException as {@link #parse}, or when the file is not UTF-8 text
     */
    public static MergekitConfig read(Path file) throws IOException {
        String name = file.toString();
        byte[] bytes;
        // read up to the limit rather than trusting the size: a pipe (`--config <(...)`) or a device reports none
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MergekitYaml.MAX_CHARS + 1);
        }
        if (bytes.length > MergekitYaml.MAX_CHARS) throw MergekitYaml.tooLarge(name);
        try {
            return parse(
                    name,
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .decode(ByteBuffer.wrap(bytes))
                            .toString());
        } catch (CharacterCodingException e) {
            throw new MergekitConfigException(name, 1, "not UTF-8 text");
        }
    }

    /** The mergekit method. */
    public MergekitMethod method() {
        return method;
    }

    /** The git-theta strategy computing the method ({@code average}, {@code ties}, ...). */
    public String strategy() {
        return method.strategy();
    }

    /** The {@code base_model} revision or path as written; empty when the merge base of the models is meant. */
    public Optional<String> baseModel() {
        return baseModel;
    }

    /** The {@code models} revisions or paths as written, in order; model indexes below refer to this list. */
    public List<String> models() {
        return models.stream().map(Model::revision).toList();
    }

    /** The index in {@link #models()} of the base model, if it is listed there too (its weight is then optional). */
    public OptionalInt baseIndex() {
        for (int i = 0; i < models.size(); i++) {
            if (baseModel.isPresent() && models.get(i).revision().equals(baseModel.get())) return OptionalInt.of(i);
        }
        return OptionalInt.empty();
    }

    /**
     * mergekit's computation dtype if given. git-theta computes in double and writes each parameter in its stored
     * dtype, so this is informational.
     */
    public Optional<String> dtype() {
        return dtype;
    }

    /**
     * A per-model parameter ({@code weight}, {@code density}, {@code gamma}) of model {@code model} for tensor
     * {@code tensorName} of a checkpoint with {@code numLayers} layers (see {@link #layerCount}).
     *
     * @throws MergekitConfigException  when no setting gives a value and the parameter has no default
     * @throws IllegalArgumentException when the method has no such per-model parameter
     */
    public double modelValue(String parameter, int model, String tensorName, int numLayers) {
        Optional<Double> fallback = declared(method.modelParameters(), parameter, "per-model");
        double t = depth(tensorName, numLayers);
        Model m = models.get(model);
        OptionalDouble v = evaluate(m.parameters().get(parameter), tensorName, t);
        if (v.isEmpty()) v = shared(parameter, tensorName, t);
        if (v.isPresent()) return v.getAsDouble();
        return fallback.orElseThrow(() -> new MergekitConfigException(
                file,
                m.line(),
                "no '" + parameter + "' for " + m.where() + " '" + m.revision() + "' at tensor " + tensorName));
    }

    /** {@link #modelValue} of every model, in the order of {@link #models()}. */
    public double[] modelValues(String parameter, String tensorName, int numLayers) {
        double[] values = new double[models.size()];
        for (int i = 0; i < values.length; i++) values[i] = modelValue(parameter, i, tensorName, numLayers);
        return values;
    }

    /**
     * A global parameter ({@code lambda}, {@code t}, {@code normalize}, ...) for tensor {@code tensorName}; flags
     * read as 1 or 0.
     *
     * @throws MergekitConfigException  when no setting gives a value and the parameter has no default
     * @throws IllegalArgumentException when the method has no such global parameter
     */
    public double globalValue(String parameter, String tensorName, int numLayers) {
        Optional<Double> fallback = declared(method.globalParameters(), parameter, "global");
        OptionalDouble v = shared(parameter, tensorName, depth(tensorName, numLayers));
        if (v.isPresent()) return v.getAsDouble();
        return fallback.orElseThrow(() -> new MergekitConfigException(
                file, methodLine, "no '" + parameter + "' for " + method.mergekitName() + " at tensor " + tensorName));
    }

    private Optional<Double> declared(Map<String, Optional<Double>> declared, String parameter, String kind) {
        Optional<Double> fallback = declared.get(parameter);
        if (fallback == null) {
            throw new IllegalArgumentException(
                    method.mergekitName() + " has no " + kind + " parameter '" + parameter + "'");
        }
        return fallback;
    }

    /** The slice's setting of {@code parameter}, else the top-level one. */
    private OptionalDouble shared(String parameter, String tensorName, double t) {
        OptionalDouble v = evaluate(sliceParameters.get(parameter), tensorName, t);
        return v.isPresent() ? v : evaluate(parameters.get(parameter), tensorName, t);
    }

    /**
     * Checks that a slice's sources span the {@code numLayers} layers of the checkpoint merged.
     *
     * @throws MergekitConfigException when they span fewer or more
     */
    public void requireLayers(int numLayers) {
        if (layers.isPresent() && layers.get().end() != numLayers) {
            throw new MergekitConfigException(
                    file,
                    layers.get().line(),
                    "layer_range [0, " + layers.get().end() + "] does not span the checkpoint's " + numLayers
                            + " layers: git-theta merges whole checkpoints, not slices of their layers");
        }
    }

    private static OptionalDouble evaluate(MergekitSetting setting, String tensorName, double t) {
        return setting == null ? OptionalDouble.empty() : setting.at(tensorName, t);
    }

    /** An error naming this file and the {@code merge_method} line: for a value git-theta cannot honour. */
    MergekitConfigException refusal(String problem) {
        return new MergekitConfigException(file, methodLine, problem);
    }

    /** The layer a tensor belongs to, from names like {@code model.layers.7.} or {@code blk.7.}. */
    public static OptionalInt layerIndex(String tensorName) {
        Matcher m = LAYER.matcher(tensorName);
        if (!m.find()) return OptionalInt.empty();
        try {
            return OptionalInt.of(Integer.parseInt(m.group(1)));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The number of layers of a checkpoint: one more than the largest layer index among its tensor names. */
    public static int layerCount(Iterable<String> tensorNames) {
        int count = 0;
        for (String name : tensorNames) {
            OptionalInt layer = layerIndex(name);
            if (layer.isPresent()) count = Math.max(count, layer.getAsInt() + 1);
        }
        return count;
    }

    /**
     * mergekit's gradient position: layer i of n is at i / (n - 1) (1 when n is 1); tensors outside the layers
     * (embeddings, final norm, head) are at 0, as mergekit plans them.
     */
    static double depth(String tensorName, int numLayers) {
        OptionalInt layer = layerIndex(tensorName);
        if (layer.isEmpty()) return 0;
        if (layer.getAsInt() >= numLayers) {
            throw new IllegalArgumentException("tensor " + tensorName + " is beyond the " + numLayers + " layers");
        }
        return numLayers > 1 ? (double) layer.getAsInt() / (numLayers - 1) : 1;
    }

    /** Walks the node tree of one file, turning the first problem into a {@link MergekitConfigException}. */
    private static final class Reader {
        private final String file;

        Reader(String file) {
            this.file = file;
        }

        MergekitConfig read(Node root) {
            Map<String, NodeTuple> top = mapping(root, "the document");
            for (Map.Entry<String, NodeTuple> e : top.entrySet()) {
                String key = e.getKey();
                if (UNSUPPORTED_KEYS.containsKey(key)) {
                    throw error(
                            e.getValue().getKeyNode(), "unsupported key '" + key + "': " + UNSUPPORTED_KEYS.get(key));
                }
                if (!Set.of("merge_method", "base_model", "models", "slices", "parameters", "dtype")
                        .contains(key)) {
                    throw error(e.getValue().getKeyNode(), "unknown key '" + key + "'");
                }
            }
            NodeTuple methodEntry = required(top, "merge_method", root, "the document");
            String methodName = text(methodEntry.getValueNode(), "merge_method");
            MergekitMethod method = MergekitMethod.byMergekitName(methodName)
                    .orElseThrow(() -> error(
                            methodEntry.getValueNode(),
                            "unsupported merge_method '" + methodName + "' (supported: "
                                    + MergekitMethod.supportedNames() + ")"));
            Optional<String> base =
                    Optional.ofNullable(top.get("base_model")).map(t -> revision(t.getValueNode(), "base_model"));
            Optional<String> dtype = Optional.ofNullable(top.get("dtype")).map(t -> {
                String name = text(t.getValueNode(), "dtype");
                if (!DTYPES.contains(name)) throw error(t.getValueNode(), "unsupported dtype '" + name + "'");
                return name;
            });
            Map<String, MergekitSetting> global = top.containsKey("parameters")
                    ? settings(method, top.get("parameters").getValueNode(), "parameters", true)
                    : Map.of();
            if (top.containsKey("models") == top.containsKey("slices")) {
                throw error(root, "give the models under either 'models' or 'slices'");
            }
            NodeTuple modelsEntry = top.containsKey("models") ? top.get("models") : top.get("slices");
            List<Model> models;
            Map<String, MergekitSetting> slice = Map.of();
            Optional<Layers> layers = Optional.empty();
            if (top.containsKey("models")) {
                models = models(method, modelsEntry.getValueNode(), "models", false);
            } else {
                Map<String, NodeTuple> only = slice(modelsEntry.getValueNode());
                NodeTuple sources = required(only, "sources", modelsEntry.getValueNode(), "slices[0]");
                models = models(method, sources.getValueNode(), "slices[0].sources", true);
                layers = Optional.of(layers(sources.getValueNode()));
                if (only.containsKey("parameters")) {
                    slice = settings(method, only.get("parameters").getValueNode(), "slices[0].parameters", true);
                }
                if (only.containsKey("base_model")) { // mergekit's base for the slice, over the top-level one
                    base = Optional.of(revision(only.get("base_model").getValueNode(), "slices[0].base_model"));
                }
            }
            Map<String, MergekitSetting> shared = new LinkedHashMap<>(global);
            shared.putAll(slice);
            check(method, line(methodEntry.getKeyNode()), base, models, shared, modelsEntry.getKeyNode());
            return new MergekitConfig(
                    file, method, line(methodEntry.getKeyNode()), base, models, slice, global, layers, dtype);
        }

        /** The one slice of {@code slices}: several build a model from parts of others. */
        private Map<String, NodeTuple> slice(Node node) {
            if (!(node instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
                throw error(node, "slices must be a non-empty list of '- sources: [...]'");
            }
            if (seq.getValue().size() > 1) {
                throw error(
                        seq.getValue().get(1),
                        "several slices build a model from layers of others: git-theta merges whole checkpoints;"
                                + " give one slice whose sources span every layer, or list them under models:");
            }
            Map<String, NodeTuple> entry = mapping(seq.getValue().getFirst(), "slices[0]");
            for (Map.Entry<String, NodeTuple> e : entry.entrySet()) {
                if (e.getKey().equals("residual_weight")) {
                    throw error(e.getValue().getKeyNode(), "unsupported key 'residual_weight' in slices[0]");
                }
                if (!Set.of("sources", "parameters", "base_model").contains(e.getKey())) {
                    throw error(e.getValue().getKeyNode(), "unknown key '" + e.getKey() + "' in slices[0]");
                }
            }
            return entry;
        }

        /** The layers the sources span, the same for each and starting at the first. */
        private Layers layers(Node sources) {
            Optional<int[]> first = Optional.empty();
            int firstLine = 0;
            for (Node item : ((SequenceNode) sources).getValue()) {
                Node node = mapping(item, "a source").get("layer_range").getValueNode();
                int[] range = range(node);
                if (range[0] != 0) {
                    throw error(
                            node,
                            "layer_range starts at layer " + range[0] + ": git-theta merges whole checkpoints, from"
                                    + " the first layer");
                }
                if (first.isPresent() && !Arrays.equals(first.get(), range)) {
                    throw error(
                            node,
                            "the sources of a slice span different layers: git-theta merges whole checkpoints,"
                                    + " layer for layer");
                }
                if (first.isEmpty()) firstLine = line(node);
                first = Optional.of(range);
            }
            return new Layers(first.orElseThrow()[1], firstLine);
        }

        /** A {@code layer_range}: {@code [start, end]}, whole numbers with start below end. */
        private int[] range(Node node) {
            if (node instanceof SequenceNode seq
                    && seq.getValue().size() == 2
                    && seq.getValue().stream()
                            .allMatch(
                                    n -> n instanceof ScalarNode s && s.getTag().equals(Tag.INT))) {
                try {
                    int start = Integer.parseInt(((ScalarNode) seq.getValue().get(0)).getValue());
                    int end = Integer.parseInt(((ScalarNode) seq.getValue().get(1)).getValue());
                    if (start >= 0 && start < end) return new int[] {start, end};
                } catch (NumberFormatException e) {
                    // not a plain decimal: refused below
                }
            }
            throw error(node, "layer_range must be [start, end], whole numbers with start below end");
        }

        /**
         * The models of {@code models} or of a slice's {@code sources} (listed as {@code list}), which then need a
         * {@code layer_range}.
         */
        private List<Model> models(MergekitMethod method, Node node, String list, boolean sources) {
            if (!(node instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
                throw error(node, list + " must be a non-empty list of '- model: <revision or path>'");
            }
            Set<String> keys = sources ? Set.of("model", "parameters", "layer_range") : Set.of("model", "parameters");
            List<Model> models = new ArrayList<>();
            for (Node item : seq.getValue()) {
                String where = list + "[" + models.size() + "]";
                Map<String, NodeTuple> entry = mapping(item, where);
                for (NodeTuple t : entry.values()) {
                    String key = ((ScalarNode) t.getKeyNode()).getValue();
                    if (key.equals("lora") || !sources && key.equals("layer_range")) {
                        throw error(t.getKeyNode(), "unsupported key '" + key + "' in " + where);
                    }
                    if (!keys.contains(key)) throw error(t.getKeyNode(), "unknown key '" + key + "' in " + where);
                }
                String revision = revision(required(entry, "model", item, where).getValueNode(), where + ".model");
                if (sources) required(entry, "layer_range", item, where);
                for (Model m : models) {
                    if (m.revision().equals(revision)) throw error(item, where + " '" + revision + "' is listed twice");
                }
                Map<String, MergekitSetting> own = entry.containsKey("parameters")
                        ? settings(method, entry.get("parameters").getValueNode(), where + ".parameters", false)
                        : Map.of();
                models.add(new Model(revision, where, line(item), own));
            }
            return models;
        }

        /** The checks mergekit makes when it plans, made here so that a bad file fails before anything is read. */
        private void check(
                MergekitMethod method,
                int methodLine,
                Optional<String> base,
                List<Model> models,
                Map<String, MergekitSetting> global,
                Node modelsKey) {
            String name = method.mergekitName();
            for (Map.Entry<String, Optional<Double>> p :
                    method.globalParameters().entrySet()) {
                if (p.getValue().isEmpty() && !global.containsKey(p.getKey())) {
                    throw new MergekitConfigException(file, methodLine, name + " needs parameters: " + p.getKey());
                }
            }
            List<Model> tuned = models.stream()
                    .filter(m -> base.isEmpty() || !m.revision().equals(base.get()))
                    .toList();
            for (Model m : tuned) {
                for (Map.Entry<String, Optional<Double>> p :
                        method.modelParameters().entrySet()) {
                    if (p.getValue().isEmpty()
                            && !m.parameters().containsKey(p.getKey())
                            && !global.containsKey(p.getKey())) {
                        throw new MergekitConfigException(
                                file,
                                m.line(),
                                m.where() + " '" + m.revision() + "' has no '" + p.getKey() + "' (" + name
                                        + " needs one per model)");
                    }
                }
            }
            switch (method) {
                case SLERP -> {
                    if (models.size() != 2 || base.isEmpty() || tuned.size() != 1) {
                        throw error(modelsKey, "slerp needs exactly two models, one of them the base_model");
                    }
                }
                case MODEL_STOCK -> {
                    if (tuned.size() < 2) {
                        throw error(modelsKey, "model_stock needs at least two models besides the base");
                    }
                }
                default -> {
                    if (tuned.isEmpty()) throw error(modelsKey, name + " needs a model besides the base_model");
                }
            }
        }

        private Map<String, MergekitSetting> settings(MergekitMethod method, Node node, String where, boolean global) {
            Map<String, MergekitSetting> settings = new LinkedHashMap<>();
            if (isNull(node)) return settings; // 'parameters:' with nothing under it, as mergekit allows
            for (Map.Entry<String, NodeTuple> e : mapping(node, where).entrySet()) {
                String name = e.getKey();
                Node key = e.getValue().getKeyNode();
                boolean perModel = method.modelParameters().containsKey(name);
                if (!global && method.globalParameters().containsKey(name)) {
                    throw error(
                            key,
                            "parameter '" + name + "' of " + method.mergekitName()
                                    + " is global: set it in the top-level parameters");
                }
                if (!perModel && !method.globalParameters().containsKey(name)) {
                    List<String> known =
                            new ArrayList<>(method.modelParameters().keySet());
                    if (global) known.addAll(method.globalParameters().keySet());
                    throw error(
                            key,
                            "unknown parameter '" + name + "' in " + where + " (" + method.mergekitName() + " takes: "
                                    + String.join(", ", known.stream().sorted().toList()) + ")");
                }
                settings.put(name, setting(e.getValue().getValueNode(), name, MergekitMethod.isFlag(name)));
            }
            return settings;
        }

        private MergekitSetting setting(Node node, String name, boolean flag) {
            return switch (node) {
                case ScalarNode s -> new MergekitSetting.Constant(flag ? flag(s, name) : number(s, name));
                case MappingNode m -> new MergekitSetting.Filtered(List.of(entry(m, name, flag)));
                case SequenceNode seq
                when !seq.getValue().isEmpty() && seq.getValue().stream().allMatch(n -> n instanceof MappingNode) -> {
                    List<MergekitSetting.Entry> entries = new ArrayList<>();
                    for (Node n : seq.getValue()) entries.add(entry((MappingNode) n, name, flag));
                    yield new MergekitSetting.Filtered(entries);
                }
                case SequenceNode seq when !flag -> gradient(seq, name);
                default ->
                    throw error(
                            node,
                            "parameter '" + name + "' must be "
                                    + (flag
                                            ? "true or false"
                                            : "a number," + " a list of numbers (a gradient over the layers)")
                                    + " or a list of {filter, value} entries");
            };
        }

        private MergekitSetting.Entry entry(MappingNode node, String name, boolean flag) {
            Map<String, NodeTuple> entry = mapping(node, "an entry of '" + name + "'");
            for (Map.Entry<String, NodeTuple> e : entry.entrySet()) {
                if (!e.getKey().equals("filter") && !e.getKey().equals("value")) {
                    throw error(
                            e.getValue().getKeyNode(),
                            "unknown key '" + e.getKey() + "' in an entry of '" + name + "'");
                }
            }
            Node value =
                    required(entry, "value", node, "an entry of '" + name + "'").getValueNode();
            MergekitSetting setting = switch (value) {
                case ScalarNode s -> new MergekitSetting.Constant(flag ? flag(s, name) : number(s, name));
                case SequenceNode seq when !flag -> gradient(seq, name);
                default ->
                    throw error(
                            value,
                            "value of '" + name + "' must be "
                                    + (flag ? "true or false" : "a number or a list of numbers"));
            };
            Optional<String> filter = Optional.ofNullable(entry.get("filter"))
                    .filter(t -> !isNull(t.getValueNode()))
                    .map(t -> text(t.getValueNode(), "filter of '" + name + "'"));
            return new MergekitSetting.Entry(filter, setting);
        }

        private MergekitSetting gradient(SequenceNode seq, String name) {
            if (seq.getValue().isEmpty()) throw error(seq, "gradient of '" + name + "' is empty");
            List<Double> points = new ArrayList<>();
            for (Node n : seq.getValue()) {
                if (!(n instanceof ScalarNode s)) throw error(n, "gradient of '" + name + "' must list numbers only");
                points.add(number(s, name));
            }
            return new MergekitSetting.Gradient(points);
        }

        private double number(ScalarNode s, String name) {
            if (s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT)) {
                double v = ((Number) SCHEMA.getSchemaTagConstructors()
                                .get(s.getTag())
                                .construct(s))
                        .doubleValue();
                if (Double.isFinite(v)) return v;
            }
            throw error(s, "parameter '" + name + "' must be a number, not '" + s.getValue() + "'");
        }

        private double flag(ScalarNode s, String name) {
            if (s.getTag().equals(Tag.BOOL)) {
                return (Boolean) SCHEMA.getSchemaTagConstructors().get(Tag.BOOL).construct(s) ? 1 : 0;
            }
            throw error(s, "parameter '" + name + "' must be true or false, not '" + s.getValue() + "'");
        }

        /** A revision or path: any plain scalar, so that a short hash such as {@code 1234567} stays text. */
        private String revision(Node node, String where) {
            if (node instanceof ScalarNode s && !isNull(s) && !s.getValue().isBlank() && standard(s.getTag())) {
                return s.getValue();
            }
            throw error(node, where + " must name a git revision (branch, tag, commit) or a path");
        }

        private String text(Node node, String where) {
            if (node instanceof ScalarNode s
                    && s.getTag().equals(Tag.STR)
                    && !s.getValue().isEmpty()) {
                return s.getValue();
            }
            throw error(node, where + " must be a name");
        }

        private Map<String, NodeTuple> mapping(Node node, String where) {
            if (!(node instanceof MappingNode m) || !m.getTag().equals(Tag.MAP)) {
                throw error(node, where + " must be a mapping of keys to values");
            }
            Map<String, NodeTuple> entries = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode k) || !k.getTag().equals(Tag.STR)) {
                    throw error(t.getKeyNode(), "keys in " + where + " must be names");
                }
                if (entries.put(k.getValue(), t) != null) {
                    throw error(k, "duplicate key '" + k.getValue() + "' in " + where);
                }
            }
            return entries;
        }

        private NodeTuple required(Map<String, NodeTuple> entries, String key, Node owner, String where) {
            NodeTuple t = entries.get(key);
            if (t == null) throw error(owner, "missing '" + key + "' in " + where);
            return t;
        }

        private static boolean isNull(Node node) {
            return node.getTag().equals(Tag.NULL);
        }

        private static boolean standard(Tag tag) {
            return tag.equals(Tag.STR) || tag.equals(Tag.INT) || tag.equals(Tag.FLOAT) || tag.equals(Tag.BOOL);
        }

        private MergekitConfigException error(Node node, String problem) {
            return new MergekitConfigException(file, line(node), problem);
        }
    }
}
