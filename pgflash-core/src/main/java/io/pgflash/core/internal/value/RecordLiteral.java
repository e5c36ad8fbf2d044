package io.pgflash.core.internal.value;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits PostgreSQL's row text output, {@code (1,"a b",,"x""y")}, into its fields' texts: an empty unquoted field is
 * NULL ({@code null}), {@code ""} is the empty string, doubled quotes and backslashes are unescaped.
 */
public final class RecordLiteral {

    private RecordLiteral() {
    }

    public static List<String> fields(String text) {
        if (text.length() < 2 || text.charAt(0) != '(' || text.charAt(text.length() - 1) != ')') {
            throw new IllegalArgumentException("Row text must be in parentheses: " + ValueDecoder.abbreviate(text));
        }
        List<String> fields = new ArrayList<>();
        int end = text.length() - 1;
        int i = 1;
        while (true) {
            i = plainField(text, i, end, fields);
            if (i < 0) {
                i = escapedField(text, -i, end, fields);
            }
            if (i >= end) {
                return fields;
            }
            i++; // the comma
        }
    }

    /**
     * The common field, without escapes: unquoted, or wholly quoted, taken as it is. Returns the index after it, or
     * minus its start when it needs unescaping.
     */
    private static int plainField(String text, int start, int end, List<String> fields) {
        boolean quoted = start < end && text.charAt(start) == '"';
        int from = quoted ? start + 1 : start;
        int i = from;
        while (i < end) {
            char c = text.charAt(i);
            if (c == '\\' || c == '"' && !quoted) {
                return -start;
            }
            if (c == '"' || c == ',' && !quoted) {
                break;
            }
            i++;
        }
        if (!quoted) {
            fields.add(i == start ? null : text.substring(start, i));
            return i;
        }
        if (i >= end || i + 1 < end && text.charAt(i + 1) != ',') {
            return -start; // a doubled quote, or more after the closing one
        }
        fields.add(text.substring(from, i));
        return i + 1;
    }

    /** A field with escapes: doubled quotes, backslashes, quoted parts. Returns the index after it. */
    private static int escapedField(String text, int i, int end, List<String> fields) {
        StringBuilder field = new StringBuilder();
        boolean quotedOrNonEmpty = false;
        boolean inQuotes = false;
        while (i < end) {
            char c = text.charAt(i);
            if (inQuotes) {
                if (c == '\\') {
                    field.append(text.charAt(i + 1));
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    if (i + 1 < end && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    inQuotes = false;
                    i++;
                    continue;
                }
                field.append(c);
                i++;
            } else if (c == ',') {
                break;
            } else if (c == '"') {
                inQuotes = true;
                quotedOrNonEmpty = true;
                i++;
            } else if (c == '\\') {
                field.append(text.charAt(i + 1));
                quotedOrNonEmpty = true;
                i += 2;
            } else {
                field.append(c);
                quotedOrNonEmpty = true;
                i++;
            }
        }
        fields.add(quotedOrNonEmpty ? field.toString() : null);
        return i;
    }
}
