package io.pgflash.core.internal.value;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Splits one row of {@code COPY ... TO STDOUT} in text format (the bytes of one CopyData message, UTF-8, the client
 * encoding pgjdbc sets) into its column texts: tab-separated, {@code \N} for NULL, backslash escapes undone. The texts
 * are those of the types' output functions, as a text-format query result would give them.
 */
public final class CopyTextRow {

    private CopyTextRow() {
    }

    /** The row's column texts, {@code null} for NULL. */
    public static List<@Nullable String> split(byte[] row) {
        return split(row, 10);
    }

    /**
     * The same, for a row of about {@code columns} columns: the list is sized once (grown on a row's first column, it
     * was 3 % of a snapshot row's garbage).
     */
    public static List<@Nullable String> split(byte[] row, int columns) {
        int end = row.length > 0 && row[row.length - 1] == '\n' ? row.length - 1 : row.length;
        List<@Nullable String> texts = new ArrayList<>(columns);
        int start = 0;
        boolean escaped = false;
        for (int i = 0; i <= end; i++) {
            if (i == end || row[i] == '\t') {
                texts.add(escaped ? unescape(row, start, i) : text(row, start, i));
                start = i + 1;
                escaped = false;
            } else if (row[i] == '\\') {
                escaped = true;
                i++; // an escaped tab or backslash is not a separator
            }
        }
        return texts;
    }

    private static String text(byte[] row, int start, int end) {
        return new String(row, start, end - start, StandardCharsets.UTF_8);
    }

    private static @Nullable String unescape(byte[] row, int start, int end) {
        if (end - start == 2 && row[start] == '\\' && row[start + 1] == 'N') {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(end - start);
        for (int i = start; i < end; i++) {
            byte b = row[i];
            if (b != '\\' || i + 1 == end) {
                bytes.write(b);
                continue;
            }
            byte next = row[++i];
            switch (next) {
                case 'b' -> bytes.write('\b');
                case 'f' -> bytes.write('\f');
                case 'n' -> bytes.write('\n');
                case 'r' -> bytes.write('\r');
                case 't' -> bytes.write('\t');
                case 'v' -> bytes.write(0x0b);
                case 'x' -> i = digits(row, i + 1, Math.min(end, i + 3), 16, bytes) - 1;
                default -> {
                    if (next >= '0' && next <= '7') {
                        i = digits(row, i, Math.min(end, i + 3), 8, bytes) - 1;
                    } else {
                        bytes.write(next); // a backslash, or any other character standing for itself
                    }
                }
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Writes the byte of the digits from {@code from} (at most to {@code to}); returns where they end. */
    private static int digits(byte[] row, int from, int to, int radix, ByteArrayOutputStream bytes) {
        int value = 0;
        int i = from;
        while (i < to && Character.digit(row[i], radix) >= 0) {
            value = value * radix + Character.digit(row[i], radix);
            i++;
        }
        if (i == from) { // "\x" without digits is an x
            bytes.write('x');
            return from;
        }
        bytes.write(value);
        return i;
    }
}
