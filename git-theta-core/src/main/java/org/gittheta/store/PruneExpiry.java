package org.gittheta.store;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The age below which {@code gc} removes nothing, written as Git writes {@code gc.pruneExpire}: {@code now},
 * {@code never}, {@code 2.weeks.ago} (or {@code 2 weeks ago}), or an ISO date or date-time (UTC unless an offset
 * is given). Objects last modified before the cutoff may go; younger ones may belong to an add still running.
 */
public final class PruneExpiry {
    /** Git's default for {@code gc.pruneExpire}. */
    public static final String DEFAULT = "2.weeks.ago";

    private static final Pattern RELATIVE = Pattern.compile("(\\d{1,9})[. ]([a-z]+?)s?[. ]ago");
    private static final Map<String, Duration> UNITS = Map.of(
            "second",
            Duration.ofSeconds(1),
            "minute",
            Duration.ofMinutes(1),
            "hour",
            Duration.ofHours(1),
            "day",
            Duration.ofDays(1),
            "week",
            Duration.ofDays(7),
            "month",
            Duration.ofDays(30),
            "year",
            Duration.ofDays(365));

    private PruneExpiry() {}

    /** The cutoff instant: what was last modified before it may be removed. */
    public static Instant cutoff(String spec, Instant now) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (s.equals("now")) return now;
        if (s.equals("never")) return Instant.MIN;
        Matcher m = RELATIVE.matcher(s);
        if (m.matches()) {
            Duration unit = UNITS.get(m.group(2));
            if (unit == null) throw bad(spec);
            return now.minus(unit.multipliedBy(Long.parseLong(m.group(1))));
        }
        try {
            if (s.length() == 10) return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
            String iso = s.replace(' ', 't').toUpperCase(Locale.ROOT);
            if (iso.endsWith("Z") || iso.matches(".*[+-]\\d\\d:?\\d\\d$"))
                return OffsetDateTime.parse(iso).toInstant();
            return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw bad(spec);
        }
    }

    private static IllegalArgumentException bad(String spec) {
        return new IllegalArgumentException("cannot read the prune date '" + spec
                + "': use now, never, <n>.<seconds|minutes|hours|days|weeks|months|years>.ago, or an ISO date");
    }
}
