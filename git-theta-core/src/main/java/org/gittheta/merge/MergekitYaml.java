package org.gittheta.merge;

import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads a mergekit file into YAML nodes (with their lines) under the core schema, refusing documents a merge
 * configuration never needs: larger than {@link #MAX_CHARS}, nested deeper than {@link #MAX_DEPTH}, with more than
 * {@link #MAX_EVENTS} nodes or {@link #MAX_ALIASES} aliases. The limits are checked on the parser's events before
 * a node tree is built, because the composer recurses per nesting level and aliases multiply what a reader walks.
 */
final class MergekitYaml {
    static final int MAX_CHARS = 1 << 20;
    static final int MAX_DEPTH = 16;
    static final int MAX_EVENTS = 20_000;
    static final int MAX_ALIASES = 32;

    private MergekitYaml() {}

    /** The document's root node. */
    static Node load(String file, String text) {
        if (text.length() > MAX_CHARS) throw tooLarge(file);
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file)
                .setSchema(new CoreSchema())
                .setAllowRecursiveKeys(false)
                .setAllowNonScalarKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_CHARS)
                .build();
        try {
            // the parser and composer themselves: the module exports them, not its lowlevel Parse/Compose wrappers
            checkShape(file, () -> new ParserImpl(settings, new StreamReader(settings, text)));
            return new Composer(settings, new ParserImpl(settings, new StreamReader(settings, text)))
                    .getSingleNode()
                    .orElseThrow(() -> new MergekitConfigException(file, 1, "empty document; expected merge_method"));
        } catch (MarkedYamlEngineException e) {
            Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
            throw new MergekitConfigException(
                    file,
                    mark.map(m -> m.getLine() + 1).orElse(1),
                    "not valid YAML: " + e.getProblem().strip());
        } catch (YamlEngineException e) {
            throw new MergekitConfigException(
                    file,
                    1,
                    "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static MergekitConfigException tooLarge(String file) {
        return new MergekitConfigException(file, 1, "larger than " + MAX_CHARS / 1024 + " KiB; not a merge config");
    }

    private static void checkShape(String file, Iterable<Event> events) {
        int depth = 0;
        int count = 0;
        int aliases = 0;
        for (Event e : events) {
            int line = e.getStartMark().map(m -> m.getLine() + 1).orElse(1);
            if (++count > MAX_EVENTS) {
                throw new MergekitConfigException(
                        file, line, "more than " + MAX_EVENTS + " YAML nodes; not a merge config");
            }
            switch (e.getEventId()) {
                case MappingStart, SequenceStart -> {
                    if (++depth > MAX_DEPTH) {
                        throw new MergekitConfigException(file, line, "nested deeper than " + MAX_DEPTH + " levels");
                    }
                }
                case MappingEnd, SequenceEnd -> depth--;
                case Alias -> {
                    if (++aliases > MAX_ALIASES) {
                        throw new MergekitConfigException(file, line, "more than " + MAX_ALIASES + " YAML aliases");
                    }
                }
                default -> {}
            }
        }
    }

    /** The 1-based line a node starts on. */
    static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(1);
    }
}
