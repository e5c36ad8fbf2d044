package io.pgflash.core.internal.dispatch;

import io.pgflash.core.catalog.PgType;
import io.pgflash.core.internal.value.TypeOids;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Filter values written as people write them rather than as PostgreSQL prints them: ISO-8601 times with {@code T}
 * and {@code Z} (as Java and JSON print them), and the booleans PostgreSQL reads ({@code yes}, {@code on}, {@code 1}).
 */
final class FilterValues {

    private FilterValues() {
    }

    /** The value {@code text} means for a column of {@code type}, or null when it has no such other form. */
    static @Nullable Object lenient(PgType type, String text) {
        if (type.isArray()) {
            return null;
        }
        try {
            return switch (type.baseOid()) {
                case TypeOids.BOOL -> bool(text.strip().toLowerCase(Locale.ROOT));
                case TypeOids.TIMESTAMPTZ -> OffsetDateTime.parse(text.strip()).withOffsetSameInstant(ZoneOffset.UTC);
                case TypeOids.TIMESTAMP -> LocalDateTime.parse(text.strip());
                default -> null;
            };
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** How to write a value of the type, for a value that is neither form. */
    static String example(PgType type) {
        if (type.isArray()) {
            return "";
        }
        return switch (type.baseOid()) {
            case TypeOids.BOOL -> "; write true or false";
            case TypeOids.TIMESTAMPTZ -> "; write it with its offset, e.g. 2026-01-02 03:04:05+00 or 2026-01-02T03:04:05Z";
            case TypeOids.TIMESTAMP -> "; write it like 2026-01-02 03:04:05 or 2026-01-02T03:04:05";
            case TypeOids.DATE -> "; write it like 2026-01-02";
            default -> "";
        };
    }

    private static @Nullable Boolean bool(String text) {
        return switch (text) {
            case "t", "true", "y", "yes", "on", "1" -> Boolean.TRUE;
            case "f", "false", "n", "no", "off", "0" -> Boolean.FALSE;
            default -> null;
        };
    }
}
