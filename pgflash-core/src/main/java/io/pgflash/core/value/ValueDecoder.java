package io.pgflash.core.value;

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
    private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE;
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .appendOffset("+HH:mm:ss", "+00").toFormatter();
    private static final DateTimeFormatter LOCAL_DATE_TIME = new DateTimeFormatterBuilder()
            .append(DATE).appendLiteral(' ').append(LOCAL_TIME).toFormatter();
    private static final DateTimeFormatter OFFSET_DATE_TIME = new DateTimeFormatterBuilder()
            .append(LOCAL_DATE_TIME).append(OFFSET).toFormatter();
    private static final DateTimeFormatter OFFSET_TIME = new DateTimeFormatterBuilder()
            .append(LOCAL_TIME).append(OFFSET).toFormatter();

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
            case TypeOids.TIME -> LocalTime.parse(text, LOCAL_TIME);
            case TypeOids.TIMETZ -> OffsetTime.parse(text, OFFSET_TIME);
            case TypeOids.TIMESTAMP -> decodeTimestamp(text);
            case TypeOids.TIMESTAMPTZ -> decodeTimestampTz(text);
            case TypeOids.INTERVAL -> new PGInterval(text);
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
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> new BigDecimal(text);
        };
    }

    /** 'infinity' dates map to the largest and smallest Java values, as pgjdbc does. */
    private static LocalDate decodeDate(String text) {
        return switch (text) {
            case "infinity" -> LocalDate.MAX;
            case "-infinity" -> LocalDate.MIN;
            default -> text.endsWith(" BC") ? bc(LocalDate.parse(text.substring(0, text.length() - 3), DATE))
                    : LocalDate.parse(text, DATE);
        };
    }

    private static LocalDate bc(LocalDate date) {
        return date.withYear(1 - date.getYear());
    }

    private static LocalDateTime decodeTimestamp(String text) {
        return switch (text) {
            case "infinity" -> LocalDateTime.MAX;
            case "-infinity" -> LocalDateTime.MIN;
            default -> LocalDateTime.parse(text, LOCAL_DATE_TIME);
        };
    }

    private static OffsetDateTime decodeTimestampTz(String text) {
        return switch (text) {
            case "infinity" -> OffsetDateTime.MAX;
            case "-infinity" -> OffsetDateTime.MIN;
            default -> OffsetDateTime.parse(text, OFFSET_DATE_TIME).withOffsetSameInstant(ZoneOffset.UTC);
        };
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
