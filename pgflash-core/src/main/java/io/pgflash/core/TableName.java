package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.util.Objects;

/**
 * A table's schema and name exactly as PostgreSQL stores them (case and quotes preserved).
 * <p>
 * {@link #parse(String)} reads SQL syntax: unquoted identifiers fold to lower case, quoted ones are kept as written,
 * so {@code Posts}, {@code public.posts} and {@code "My Table"} mean what they mean in SQL. {@link #of(String, String)}
 * takes the names verbatim. A parsed name without a schema has a {@code null} schema and is resolved with the
 * connection's {@code search_path}.
 */
public record TableName(@Nullable String schema, String name) {

    public TableName {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || (schema != null && schema.isEmpty())) {
            throw new IllegalArgumentException("A table name and its schema must not be empty");
        }
    }

    /** Names taken verbatim, no case folding; {@code schema} may be null to use the search path. */
    public static TableName of(@Nullable String schema, String name) {
        return new TableName(schema, name);
    }

    /** Parses {@code name}, {@code schema.name}, {@code "Quoted Name"} and {@code "a""quote"} as SQL does. */
    public static TableName parse(String text) {
        Objects.requireNonNull(text, "table name");
        IdentifierReader reader = new IdentifierReader(text);
        String first = reader.identifier();
        if (reader.atEnd()) {
            return new TableName(null, first);
        }
        reader.expect('.');
        String second = reader.identifier();
        if (!reader.atEnd()) {
            throw new IllegalArgumentException("Table name '" + text
                    + "' has more than schema.table; quote names that contain dots: \"my.table\"");
        }
        return new TableName(first, second);
    }

    /** The name as a SQL identifier, each part quoted, safe to put into SQL text. */
    public String quoted() {
        return schema == null ? quote(name) : quote(schema) + "." + quote(name);
    }

    /** Double-quotes an identifier, doubling embedded quotes. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return quoted();
    }

    private static final class IdentifierReader {
        private final String text;
        private int index;

        IdentifierReader(String text) {
            this.text = text.strip();
        }

        boolean atEnd() {
            return index >= text.length();
        }

        void expect(char c) {
            if (atEnd() || text.charAt(index) != c) {
                throw invalid("expected '" + c + "' at position " + index);
            }
            index++;
        }

        String identifier() {
            if (atEnd()) {
                throw invalid("an identifier is missing");
            }
            if (text.charAt(index) == '"') {
                StringBuilder out = new StringBuilder();
                index++;
                while (true) {
                    if (atEnd()) {
                        throw invalid("a quoted identifier is not closed");
                    }
                    char c = text.charAt(index++);
                    if (c == '"') {
                        if (!atEnd() && text.charAt(index) == '"') {
                            out.append('"');
                            index++;
                        } else {
                            break;
                        }
                    } else {
                        out.append(c);
                    }
                }
                if (out.isEmpty()) {
                    throw invalid("a quoted identifier is empty");
                }
                return out.toString();
            }
            int start = index;
            while (!atEnd() && text.charAt(index) != '.') {
                char c = text.charAt(index);
                if (!(Character.isLetterOrDigit(c) || c == '_' || c == '$') || (index == start && Character.isDigit(c))) {
                    throw invalid("'" + c + "' is not allowed in an unquoted identifier; quote the name: \"...\"");
                }
                index++;
            }
            if (start == index) {
                throw invalid("an identifier is missing");
            }
            return text.substring(start, index).toLowerCase(java.util.Locale.ROOT);
        }

        private IllegalArgumentException invalid(String reason) {
            return new IllegalArgumentException("Table name '" + text + "' is not valid: " + reason);
        }
    }
}
