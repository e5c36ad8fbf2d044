package io.pgflash.core.internal.value;

import io.pgflash.core.catalog.PgType;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.format.SignStyle;
import java.time.temporal.TemporalQuery;
import java.time.temporal.ChronoField;
import java.util.UUID;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGbytea;

/**
 * Turns PostgreSQL's text output of a value into a typed Java value. Every driver produces text in the same settings
 * (DateStyle ISO, IntervalStyle postgres, bytea_output hex), so one decoder serves them all and the drivers agree.
 */
public final class ValueDecoder {

    private static final DateTimeFormatter LOCAL_TIME = new DateTimeFormatterBuilder()
            .appendPattern("HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter();
    /** Years of 4 to 7 digits (PostgreSQL prints 10000 AD unsigned), of the era given by a " BC" suffix. */
    private static final DateTimeFormatter DATE = new DateTimeFormatterBuilder()
            .appendValue(ChronoField.YEAR_OF_ERA, 4, 9, SignStyle.NOT_NEGATIVE).appendLiteral('-')
            .appendValue(ChronoField.MONTH_OF_YEAR, 2).appendLiteral('-')
            .appendValue(ChronoField.DAY_OF_MONTH, 2)
            .toFormatter();
    /** "+00", "-03:30", and the seconds of historic zone offsets ("+00:19:32"). */
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .appendOffset("+HH:mm:ss", "Z").toFormatter();
    private static final DateTimeFormatter LOCAL_DATE_TIME = new DateTimeFormatterBuilder()
            .append(DATE).appendLiteral(' ').append(LOCAL_TIME).toFormatter();
    private static final DateTimeFormatter OFFSET_DATE_TIME = new DateTimeFormatterBuilder()
            .append(LOCAL_DATE_TIME).append(OFFSET).toFormatter();
    private static final DateTimeFormatter OFFSET_TIME = new DateTimeFormatterBuilder()
            .append(LOCAL_TIME).append(OFFSET).toFormatter();
    private static final String BC = " BC";
    private static final Eras DATES = Eras.of(DATE);
    private static final Eras TIMESTAMPS = Eras.of(LOCAL_DATE_TIME);
    private static final Eras TIMESTAMPS_WITH_OFFSET = Eras.of(OFFSET_DATE_TIME);
    /** PostgreSQL's end of day, which Java's times have no room for: read as the last instant, as pgjdbc does. */
    private static final String END_OF_DAY = "24:00:00";

    private ValueDecoder() {
    }

    /** Decodes {@code text} (never null: NULL is handled by the caller) as a value of {@code type}. */
    public static Object decode(PgType type, String text) {
        try {
            if (type.isArray()) {
                return ArrayLiteral.parse(text, type.delimiter(), element -> decode(type.element(), element));
            }
            return decodeScalar(type.baseOid(), text);
        } catch (RuntimeException | SQLException e) {
            throw new IllegalArgumentException("Value '" + abbreviate(text) + "' is not a valid " + type.sqlName()
                    + ": " + e.getMessage(), e);
        }
    }

    private static Object decodeScalar(int oid, String text) throws SQLException {
        return switch (oid) {
            case TypeOids.BOOL -> decodeBoolean(text);
            case TypeOids.INT2, TypeOids.INT4 -> Integer.valueOf(text);
            case TypeOids.INT8, TypeOids.OID -> Long.valueOf(text);
            case TypeOids.NUMERIC -> decodeNumeric(text);
            case TypeOids.FLOAT4 -> Float.valueOf(text);
            case TypeOids.FLOAT8 -> Double.valueOf(text);
            case TypeOids.UUID -> UUID.fromString(text);
            case TypeOids.BYTEA -> PGbytea.toBytes(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            case TypeOids.DATE -> decodeDate(text);
            case TypeOids.TIME -> text.equals(END_OF_DAY) ? LocalTime.MAX : LocalTime.parse(text, LOCAL_TIME);
            case TypeOids.TIMETZ -> decodeTimeTz(text);
            case TypeOids.TIMESTAMP -> decodeTimestamp(text);
            case TypeOids.TIMESTAMPTZ -> decodeTimestampTz(text);
            case TypeOids.INTERVAL -> decodeInterval(text);
            default -> text;
        };
    }

    private static Boolean decodeBoolean(String text) {
        return switch (text) {
            case "t", "true" -> Boolean.TRUE;
            case "f", "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("expected t or f");
        };
    }

    /** numeric NaN and ±Infinity have no BigDecimal: they come as Double, like pgjdbc does. */
    private static Object decodeNumeric(String text) {
        char first = text.charAt(0);
        if (first != 'N' && first != 'I' && (first != '-' || text.length() < 2 || text.charAt(1) != 'I')) {
            return new BigDecimal(text); // a number: no need to hash it against the names below
        }
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> new BigDecimal(text);
        };
    }

    /**
     * 'infinity' dates map to the largest and smallest Java values, as pgjdbc does. The usual text is parsed first,
     * before a switch would hash every value to look for them.
     */
    private static LocalDate decodeDate(String text) {
        LocalDate common = IsoDateTimes.date(text);
        if (common != null) {
            return common;
        }
        return switch (text) {
            case "infinity" -> LocalDate.MAX;
            case "-infinity" -> LocalDate.MIN;
            default -> DATES.parse(text, LocalDate::from);
        };
    }

    private static LocalDateTime decodeTimestamp(String text) {
        LocalDateTime common = IsoDateTimes.timestamp(text);
        if (common != null) {
            return common;
        }
        return switch (text) {
            case "infinity" -> LocalDateTime.MAX;
            case "-infinity" -> LocalDateTime.MIN;
            default -> TIMESTAMPS.parse(text, LocalDateTime::from);
        };
    }

    private static OffsetDateTime decodeTimestampTz(String text) {
        OffsetDateTime common = IsoDateTimes.timestampWithOffset(text);
        if (common != null) {
            return common.withOffsetSameInstant(ZoneOffset.UTC);
        }
        return switch (text) {
            case "infinity" -> OffsetDateTime.MAX;
            case "-infinity" -> OffsetDateTime.MIN;
            default -> TIMESTAMPS_WITH_OFFSET.parse(text, OffsetDateTime::from).withOffsetSameInstant(ZoneOffset.UTC);
        };
    }

    private static OffsetTime decodeTimeTz(String text) {
        if (text.startsWith(END_OF_DAY)) {
            return OffsetTime.of(LocalTime.MAX, OFFSET.parse(text.substring(END_OF_DAY.length()), ZoneOffset::from));
        }
        return OffsetTime.parse(text, OFFSET_TIME);
    }

    /** PGInterval has no infinity (PostgreSQL 17 and later): those come as the text "infinity" or "-infinity". */
    private static Object decodeInterval(String text) throws SQLException {
        return text.equals("infinity") || text.equals("-infinity") ? text : new PGInterval(text);
    }

    /**
     * A format read in either era, by whether the text ends in " BC": BC years count back from 1 BC (Java's year 0),
     * so 1 BC is a leap year here as in PostgreSQL.
     */
    private record Eras(DateTimeFormatter ad, DateTimeFormatter bc) {

        static Eras of(DateTimeFormatter format) {
            return new Eras(inEra(format, 1), inEra(format, 0));
        }

        private static DateTimeFormatter inEra(DateTimeFormatter format, int era) {
            return new DateTimeFormatterBuilder().append(format).parseDefaulting(ChronoField.ERA, era).toFormatter()
                    .withResolverStyle(ResolverStyle.STRICT);
        }

        <T> T parse(String text, TemporalQuery<T> query) {
            return text.endsWith(BC) ? bc.parse(text.substring(0, text.length() - BC.length()), query)
                    : ad.parse(text, query);
        }
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
