package io.pgflash.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * ISO-8601 text of timestamps as ASCII bytes, byte for byte as the JDK's formatters write them, without their
 * per-call cost and without JSON escaping (a record carries the commit time and often a timestamp column). Years 0 to
 * 9999 in UTC are written here; the rare others are left to the formatters.
 */
final class IsoTimestamps {

    private static final long FIRST_DAY = LocalDate.of(0, 1, 1).toEpochDay();
    private static final long LAST_DAY = LocalDate.of(9999, 12, 31).toEpochDay();
    private static final int SECONDS_PER_DAY = 86_400;

    private IsoTimestamps() {
    }

    /**
     * A UTC {@code OffsetDateTime} as {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} writes it, a
     * {@code LocalDateTime} as {@link DateTimeFormatter#ISO_LOCAL_DATE_TIME} does (fraction digits as needed), or null
     * for anything else (another type, offset or year), which the caller formats.
     */
    static byte @Nullable [] ascii(Object value) {
        if (value instanceof OffsetDateTime time) {
            int year = time.getYear();
            if (time.getOffset().getTotalSeconds() != 0 || year < 0 || year > 9999) {
                return null;
            }
            byte[] text = new byte[30];
            int end = dateTime(text, year, time.getMonthValue(), time.getDayOfMonth(), time.getHour(),
                    time.getMinute(), time.getSecond(), time.getNano(), false);
            text[end++] = 'Z';
            return trimmed(text, end);
        }
        if (value instanceof LocalDateTime time) {
            int year = time.getYear();
            if (year < 0 || year > 9999) {
                return null;
            }
            byte[] text = new byte[29];
            int end = dateTime(text, year, time.getMonthValue(), time.getDayOfMonth(), time.getHour(),
                    time.getMinute(), time.getSecond(), time.getNano(), false);
            return trimmed(text, end);
        }
        return null;
    }

    /** As {@link Instant#toString()} writes it: fraction digits in groups of three. */
    static byte[] instant(Instant instant) {
        long seconds = instant.getEpochSecond();
        long day = Math.floorDiv(seconds, SECONDS_PER_DAY);
        if (day < FIRST_DAY || day > LAST_DAY) {
            return instant.toString().getBytes(StandardCharsets.US_ASCII);
        }
        LocalDate date = LocalDate.ofEpochDay(day);
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        byte[] text = new byte[30];
        int end = dateTime(text, date.getYear(), date.getMonthValue(), date.getDayOfMonth(), secondOfDay / 3600,
                secondOfDay / 60 % 60, secondOfDay % 60, instant.getNano(), true);
        text[end++] = 'Z';
        return trimmed(text, end);
    }

    /** Writes {@code yyyy-MM-ddTHH:mm:ss} and the fraction; returns where it ends. */
    private static int dateTime(byte[] text, int year, int month, int day, int hour, int minute, int second,
            int nano, boolean groupsOfThree) {
        digits(text, 0, year, 4);
        text[4] = '-';
        digits(text, 5, month, 2);
        text[7] = '-';
        digits(text, 8, day, 2);
        text[10] = 'T';
        digits(text, 11, hour, 2);
        text[13] = ':';
        digits(text, 14, minute, 2);
        text[16] = ':';
        digits(text, 17, second, 2);
        if (nano == 0) {
            return 19;
        }
        text[19] = '.';
        digits(text, 20, nano, 9);
        if (groupsOfThree) {
            return nano % 1_000_000 == 0 ? 23 : nano % 1_000 == 0 ? 26 : 29;
        }
        int end = 29;
        while (text[end - 1] == '0') {
            end--;
        }
        return end;
    }

    /** {@code value} in exactly {@code width} decimal digits, zero-padded. */
    private static void digits(byte[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }

    private static byte[] trimmed(byte[] text, int length) {
        return length == text.length ? text : Arrays.copyOf(text, length);
    }
}
