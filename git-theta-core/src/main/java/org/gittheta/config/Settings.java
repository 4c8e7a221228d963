package org.gittheta.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.gittheta.merge.MergeConfig;
import org.gittheta.store.Codec;
import org.gittheta.update.LoraAdapter;
import org.gittheta.update.UpdateData;
import org.gittheta.update.UpdateKind;
import org.gittheta.update.UpdateOptions;

/**
 * Git's configuration as one {@code git config -z --list --show-scope} printed it (files and {@code git -c}
 * settings alike), read once and turned into what git-theta uses, each value checked with a message naming
 * its key. Keys compare as git compares them: section and name ignore case, the subsection does not.
 */
public final class Settings {
    /**
     * One line of the listing, in git's order (later lines override earlier ones).
     *
     * @param scope where git found it: system, global, local, worktree or command ({@code git -c})
     * @param value null for a key written without a value (which git reads as true)
     */
    public record Entry(String scope, String key, String value) {}

    public static final Settings NONE = new Settings(List.of(), Map.of());

    private static final String COMMAND_SCOPE = "command";
    private static final int DEFAULT_CONCURRENT_TRANSFERS = 8;

    private final List<Entry> entries;
    private final Map<String, String> environment;

    private Settings(List<Entry> entries, Map<String, String> environment) {
        this.entries = List.copyOf(entries);
        this.environment = Map.copyOf(environment);
    }

    /**
     * These settings with the process's environment, whose variables say, as they do for git and git-lfs, how to
     * reach servers: {@code GIT_SSH_COMMAND}, {@code GIT_SSH}, the proxy variables, {@code GIT_SSL_CAINFO}.
     */
    public Settings withEnvironment(Map<String, String> environment) {
        return new Settings(entries, environment);
    }

    /** The environment given by {@link #withEnvironment} (none otherwise). */
    public Map<String, String> environment() {
        return environment;
    }

    /**
     * Parses the output of {@code git config -z --list --show-scope}: per entry {@code scope NUL key LF value NUL},
     * or {@code scope NUL key NUL} for a key written without a value (which git reads as true).
     */
    public static Settings parse(byte[] listing) {
        String[] fields = new String(listing, StandardCharsets.UTF_8).split("\0");
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            String keyValue = fields[i + 1];
            int nl = keyValue.indexOf('\n');
            String key = nl < 0 ? keyValue : keyValue.substring(0, nl);
            entries.add(new Entry(fields[i], normalise(key), nl < 0 ? null : keyValue.substring(nl + 1)));
        }
        return new Settings(entries, Map.of());
    }

    /** The value that counts (the last one); a key set without a value reads as {@code "true"}. */
    public Optional<String> get(String key) {
        return last(key).map(e -> e.value() == null ? "true" : e.value());
    }

    /** Every value of a multi-valued key, in order. */
    public List<String> getAll(String key) {
        String k = normalise(key);
        return entries.stream()
                .filter(e -> e.key().equals(k))
                .map(e -> e.value() == null ? "true" : e.value())
                .toList();
    }

    /** The entries whose key (section and name in lower case) passes {@code keys}, in git's order. */
    public List<Entry> entries(Predicate<String> keys) {
        return entries.stream().filter(e -> keys.test(e.key())).toList();
    }

    private Optional<Entry> last(String key) {
        String k = normalise(key);
        return entries.reversed().stream().filter(e -> e.key().equals(k)).findFirst();
    }

    /** {@code theta.codec}: how new objects are compressed (zstd unless set). */
    public Codec codec() throws SettingException {
        String value = get("theta.codec").orElse("zstd");
        try {
            return Codec.fromConfig(value);
        } catch (IllegalArgumentException e) {
            throw new SettingException("theta.codec '" + value + "' is not one of zstd, lz4, none");
        }
    }

    /**
     * {@code theta.opaque}: what clean does with a tracked file it cannot split into parameters: {@code store} it
     * whole (the default, as git-lfs would) or {@code refuse} it.
     */
    public boolean refusesOpaque() throws SettingException {
        String value = get("theta.opaque").orElse("store");
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "store" -> false;
            case "refuse" -> true;
            default -> throw new SettingException("theta.opaque '" + value + "' is not one of store, refuse");
        };
    }

    /**
     * How changed parameters are stored: {@code theta.updateType}, {@code theta.lora} (the adapter is loaded here),
     * {@code theta.maxChainDepth}, {@code theta.rank}, {@code theta.lossy} and {@code theta.updateData} (the data is
     * read here).
     */
    public UpdateOptions updateOptions() throws IOException {
        String type = get("theta.updateType").orElse("auto");
        Optional<UpdateKind> forced;
        try {
            forced = UpdateOptions.parseType(type);
        } catch (IllegalArgumentException e) {
            throw new SettingException("theta.updateType: " + e.getMessage());
        }
        Optional<String> dir = get("theta.lora");
        Optional<LoraAdapter> lora =
                dir.isEmpty() ? Optional.empty() : Optional.of(LoraAdapter.load(Path.of(dir.get())));
        int maxDepth = number("theta.maxChainDepth", 0, UpdateOptions.DEFAULT_MAX_CHAIN_DEPTH);
        OptionalInt rank = rank();
        Optional<Entry> lossyEntry =
                commandLineOnly("theta.lossy", "git theta add --update-type low-rank --rank <R> --lossy");
        boolean lossy =
                lossyEntry.isPresent() && bool("theta.lossy", lossyEntry.get().value());
        if (lossy && rank.isEmpty()) throw new SettingException("theta.lossy needs theta.rank");
        Optional<UpdateData> data = Optional.empty();
        Optional<Entry> dataFile =
                commandLineOnly("theta.updateData", "git theta add --update-type <type> --update-data <file>");
        if (dataFile.isPresent()) {
            String file = dataFile.get().value() == null ? "" : dataFile.get().value();
            if (forced.isEmpty() || !UpdateData.kinds().contains(forced.get())) {
                throw new SettingException("theta.updateData needs theta.updateType sparse, low-rank, ia3 or dense");
            }
            data = Optional.of(UpdateData.load(Path.of(file), forced.get()));
        }
        try {
            return new UpdateOptions(forced, lora, maxDepth, rank, lossy, data);
        } catch (IllegalArgumentException e) {
            throw new SettingException("theta.updateType: " + e.getMessage());
        }
    }

    private OptionalInt rank() throws SettingException {
        Optional<String> rank = get("theta.rank");
        if (rank.isEmpty()) return OptionalInt.empty();
        try {
            return OptionalInt.of(Integer.parseInt(rank.get().strip()));
        } catch (NumberFormatException e) {
            throw new SettingException("theta.rank '" + rank.get() + "' is not a number");
        }
    }

    /**
     * Whether this command was given how to store parameters ({@code git theta add --update-type} or {@code --lora},
     * which set {@code theta.updateType}, {@code theta.rank} and {@code theta.lora} with {@code git -c}), rather than
     * the configuration files.
     */
    public boolean storageChosenForThisCommand() {
        return Stream.of("theta.updateType", "theta.rank", "theta.lora")
                .map(this::last)
                .anyMatch(e -> e.isPresent() && e.get().scope().equals(COMMAND_SCOPE));
    }

    /**
     * A setting honoured only from the command line ({@code git -c}, which {@code git theta add} passes): from a config
     * file it would apply to every later clean (lossy storage, or one update applied again and again).
     */
    private Optional<Entry> commandLineOnly(String key, String command) throws SettingException {
        Optional<Entry> entry = last(key);
        if (entry.isPresent() && !entry.get().scope().equals(COMMAND_SCOPE)) {
            String scope = entry.get().scope();
            throw new SettingException(key + " is set in a git config file (" + scope + "); it is only used by '"
                    + command + "': remove it with git config --" + scope + " --unset " + key);
        }
        return entry;
    }

    /** Every {@code theta.merge.*} setting: the strategy, its options, rules, Fisher files. */
    public MergeConfig mergeConfig() throws SettingException {
        String prefix = "theta.merge.";
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.key().startsWith(prefix)) {
                values.computeIfAbsent(e.key().substring(prefix.length()), k -> new ArrayList<>())
                        .add(e.value() == null ? "true" : e.value());
            }
        }
        try {
            return MergeConfig.parse(values);
        } catch (IllegalArgumentException e) {
            throw new SettingException(e.getMessage());
        }
    }

    /** The remotes git knows, in the order they were configured. */
    public List<String> remoteNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (Entry e : entries) {
            int dot = e.key().lastIndexOf('.');
            if (e.key().startsWith("remote.") && dot > "remote.".length())
                names.add(e.key().substring("remote.".length(), dot));
        }
        return List.copyOf(names);
    }

    /**
     * The remote objects come from and go to by default: {@code theta.remote}, else {@code origin}, else the only one.
     */
    public Optional<String> defaultRemote() {
        Optional<String> configured = get("theta.remote");
        if (configured.isPresent()) return configured;
        List<String> remotes = remoteNames();
        if (remotes.contains("origin")) return Optional.of("origin");
        return remotes.size() == 1 ? Optional.of(remotes.getFirst()) : Optional.empty();
    }

    /**
     * The remotes a partial clone fetches the blobs it left out from, in the order git asks them: those whose
     * {@code remote.<name>.promisor} is true, then {@code extensions.partialClone}'s.
     */
    public List<String> promisorRemotes() throws SettingException {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String name : remoteNames()) {
            String key = "remote." + name + ".promisor";
            Optional<Entry> promisor = last(key);
            if (promisor.isPresent() && bool(key, promisor.get().value())) names.add(name);
        }
        Optional<String> partialClone = get("extensions.partialClone");
        if (partialClone.isPresent()) {
            names.remove(partialClone.get());
            names.add(partialClone.get());
        }
        return List.copyOf(names);
    }

    /**
     * {@code remote.<name>.url}, rewritten as git rewrites it: the longest prefix that a {@code url.<base>.insteadOf}
     * names is replaced by that base (a shorthand, or a base a CI adds its token to).
     */
    public Optional<String> remoteUrl(String name) {
        return get("remote." + name + ".url").map(this::rewritten);
    }

    /**
     * Where git pushes instead of the remote's URL: {@code remote.<name>.pushurl}, rewritten as {@link #remoteUrl}'s;
     * without one, the URL as the longest {@code url.<base>.pushInsteadOf} prefix it starts with rewrites it; empty
     * when git pushes to the URL itself.
     */
    public Optional<String> remotePushUrl(String name) {
        Optional<String> pushUrl = get("remote." + name + ".pushurl");
        if (pushUrl.isPresent()) return pushUrl.map(this::rewritten);
        return get("remote." + name + ".url").flatMap(url -> rewrite(url, ".pushinsteadof"));
    }

    private String rewritten(String url) {
        return rewrite(url, ".insteadof").orElse(url);
    }

    /** {@code url} with the longest prefix a {@code url.<base><key>} names replaced by its base; empty if none. */
    private Optional<String> rewrite(String url, String key) {
        String base = "";
        String prefix = "";
        for (Entry e : entries) {
            String k = e.key();
            if (!k.startsWith("url.") || !k.endsWith(key) || e.value() == null) continue;
            if (url.startsWith(e.value()) && e.value().length() > prefix.length()) {
                base = k.substring("url.".length(), k.length() - key.length());
                prefix = e.value();
            }
        }
        return prefix.isEmpty() ? Optional.empty() : Optional.of(base + url.substring(prefix.length()));
    }

    /** {@code lfs.concurrenttransfers}: objects moved at once (8 unless set). */
    public int concurrentTransfers() throws SettingException {
        return number("lfs.concurrenttransfers", 1, DEFAULT_CONCURRENT_TRANSFERS);
    }

    /**
     * {@code lfs.activitytimeout}: seconds a transfer may move no byte before it is aborted and tried again, as
     * git-lfs reads it; {@code otherwise} unless set. Never unbounded: 0 is refused.
     */
    public Duration activityTimeout(Duration otherwise) throws SettingException {
        return Duration.ofSeconds(number("lfs.activitytimeout", 1, (int) otherwise.toSeconds()));
    }

    /** 1 + {@code lfs.transfer.maxretries} (the tries after the first, as in git-lfs); {@code otherwise} unless set. */
    public int transferAttempts(int otherwise) throws SettingException {
        return 1 + number("lfs.transfer.maxretries", 0, otherwise - 1);
    }

    /** A whole number of at least {@code least} (0 or 1), {@code otherwise} unless set. */
    private int number(String key, int least, int otherwise) throws SettingException {
        Optional<String> value = get(key);
        if (value.isEmpty()) return otherwise;
        try {
            int n = Integer.parseInt(value.get().strip());
            if (n >= least) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SettingException(
                key + " '" + value.get() + "' is not a " + (least > 0 ? "positive" : "non-negative") + " number");
    }

    /** A boolean as {@code git config --type=bool} reads it; no value at all means true. */
    private static boolean bool(String key, String value) throws SettingException {
        if (value == null) return true;
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0", "" -> false;
            default -> throw new SettingException(key + " '" + value + "' is not a boolean");
        };
    }

    /** Section and name in lower case, the subsection (between them) as it is. */
    private static String normalise(String key) {
        int first = key.indexOf('.');
        int last = key.lastIndexOf('.');
        if (first < 0) return key.toLowerCase(Locale.ROOT);
        return key.substring(0, first).toLowerCase(Locale.ROOT)
                + key.substring(first, last)
                + key.substring(last).toLowerCase(Locale.ROOT);
    }
}
