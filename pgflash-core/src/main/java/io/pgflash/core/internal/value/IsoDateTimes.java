package io.pgflash.core.internal.value;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jspecify.annotations.Nullable;

/**
 * Reads the common shapes of PostgreSQL's ISO date and timestamp text by hand: a four-digit year of our era,
 * {@code YYYY-MM-DD[ HH:MM:SS[.f{1,6}]][+HH[:MM[:SS]]]}. It is several times faster than a
 * {@code DateTimeFormatter}, which shows in the cost of every event that carries a timestamp. Anything else (a BC
 * date, a year past 9999, a value out of range) gives null, and the caller's formatter reads it or says why not.
 */
final class IsoDateTimes {

    private IsoDateTimes() {
    }

    static @Nullable LocalDate date(String text) {
        if (text.length() != 10 || !dateAt(text)) {
            return null;
        }
        try {
            return LocalDate.of(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2));
        } catch (DateTimeException e) {
            return null;
        }
    }

    static @Nullable LocalDateTime timestamp(String text) {
        int end = endOfTime(text);
        return end == text.length() ? localDateTime(text, end) : null;
    }

    static @Nullable OffsetDateTime timestampWithOffset(String text) {
        int end = endOfTime(text);
        if (end < 0) {
            return null;
        }
        ZoneOffset offset = offset(text, end);
        LocalDateTime local = offset == null ? null : localDateTime(text, end);
        return local == null ? null : OffsetDateTime.of(local, offset);
    }

    /** Where the time of a {@code YYYY-MM-DD HH:MM:SS[.f]} text ends, or -1 if the text does not start so. */
    private static int endOfTime(String text) {
        if (text.length() < 19 || !dateAt(text) || text.charAt(10) != ' ' || !twoDigits(text, 11)
                || text.charAt(13) != ':' || !twoDigits(text, 14) || text.charAt(16) != ':' || !twoDigits(text, 17)) {
            return -1;
        }
        int end = 19;
        if (end < text.length() && text.charAt(end) == '.') {
            end++;
            while (end < text.length() && end < 26 && isDigit(text.charAt(end))) {
                end++;
            }
            if (end == 20 || (end < text.length() && isDigit(text.charAt(end)))) {
                return -1; // no fraction digits, or more than six
            }
        }
        return end;
    }

    private static @Nullable LocalDateTime localDateTime(String text, int end) {
        int nanos = 0;
        if (end > 20) {
            nanos = digits(text, 20, end - 20);
            for (int i = end - 20; i < 9; i++) {
                nanos *= 10;
            }
        }
        try {
            return LocalDateTime.of(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2), digits(text, 11, 2),
                    digits(text, 14, 2), digits(text, 17, 2), nanos);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The offset {@code +HH}, {@code +HH:MM} or {@code +HH:MM:SS} (or with '-') filling the text from {@code at}. */
    private static @Nullable ZoneOffset offset(String text, int at) {
        int length = text.length() - at;
        if ((length != 3 && length != 6 && length != 9) || !twoDigits(text, at + 1)) {
            return null;
        }
        char sign = text.charAt(at);
        if (sign != '+' && sign != '-') {
            return null;
        }
        int seconds = digits(text, at + 1, 2) * 3600;
        for (int part = at + 3; part < text.length(); part += 3) {
            if (text.charAt(part) != ':' || !twoDigits(text, part + 1)) {
                return null;
            }
            seconds += digits(text, part + 1, 2) * (part == at + 3 ? 60 : 1);
        }
        try {
            return ZoneOffset.ofTotalSeconds(sign == '-' ? -seconds : seconds);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static boolean dateAt(String text) {
        return twoDigits(text, 0) && twoDigits(text, 2) && text.charAt(4) == '-' && twoDigits(text, 5)
                && text.charAt(7) == '-' && twoDigits(text, 8);
    }

    private static boolean twoDigits(String text, int at) {
        return at + 1 < text.length() && isDigit(text.charAt(at)) && isDigit(text.charAt(at + 1));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int digits(String text, int at, int count) {
        int value = 0;
        for (int i = at; i < at + count; i++) {
            value = value * 10 + (text.charAt(i) - '0');
        }
        return value;
    }
}
