package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One filter condition on a column. Conditions of a subscription are combined with AND and evaluated by pgflash on
 * the typed row values (never spliced into SQL). Values may be given as strings or as Java values; they are converted
 * to the column's type when subscribing, and a value that does not fit the column fails the subscription.
 */
public record Condition(String column, Operator operator, List<@Nullable Object> values) {

    public Condition {
        Objects.requireNonNull(column, "column");
        Objects.requireNonNull(operator, "operator");
        values = List.copyOf(values);
        int expected = switch (operator) {
            case IS_NULL, IS_NOT_NULL -> 0;
            case IN -> -1;
            default -> 1;
        };
        if (expected >= 0 && values.size() != expected) {
            throw new IllegalArgumentException("Filter on '" + column + "': " + operator.token() + " takes "
                    + expected + " value(s), got " + values.size());
        }
        if (operator == Operator.IN && values.isEmpty()) {
            throw new IllegalArgumentException("Filter on '" + column + "': in needs at least one value");
        }
    }

    public static Condition eq(String column, Object value) {
        return new Condition(column, Operator.EQ, List.of(value));
    }

    public static Condition neq(String column, Object value) {
        return new Condition(column, Operator.NEQ, List.of(value));
    }

    public static Condition lt(String column, Object value) {
        return new Condition(column, Operator.LT, List.of(value));
    }

    public static Condition lte(String column, Object value) {
        return new Condition(column, Operator.LTE, List.of(value));
    }

    public static Condition gt(String column, Object value) {
        return new Condition(column, Operator.GT, List.of(value));
    }

    public static Condition gte(String column, Object value) {
        return new Condition(column, Operator.GTE, List.of(value));
    }

    public static Condition in(String column, Object... values) {
        return new Condition(column, Operator.IN, Arrays.asList(values));
    }

    public static Condition isNull(String column) {
        return new Condition(column, Operator.IS_NULL, List.of());
    }

    public static Condition isNotNull(String column) {
        return new Condition(column, Operator.IS_NOT_NULL, List.of());
    }

    /**
     * Parses the PostgREST/Supabase form {@code column=operator.value}: {@code status=eq.published},
     * {@code id=in.(1,2,3)}, {@code title=in.("a,b",c)}, {@code deleted_at=is.null}, {@code deleted_at=not.is.null}.
     * The column name is taken verbatim, or between double quotes (a quote in it doubled, as in SQL), which a name
     * with {@code =} in it needs: {@code "a=b"=eq.1}. In a list, spaces around an item are dropped, and double quotes
     * keep commas and spaces, with {@code \"} for a quote.
     */
    public static Condition parse(String filter) {
        Objects.requireNonNull(filter, "filter");
        String column;
        int equals;
        if (filter.startsWith("\"")) {
            StringBuilder name = new StringBuilder();
            int end = quotedName(filter, name);
            column = name.toString();
            equals = end + 1;
            if (equals >= filter.length() || filter.charAt(equals) != '=' || column.isEmpty()) {
                throw invalid(filter, "expected \"column\"=operator.value after the quoted column name");
            }
        } else {
            equals = filter.indexOf('=');
            if (equals <= 0) {
                throw invalid(filter, "expected column=operator.value, e.g. status=eq.published");
            }
            column = filter.substring(0, equals);
        }
        String rest = filter.substring(equals + 1);
        if (rest.equalsIgnoreCase("is.null")) {
            return isNull(column);
        }
        if (rest.equalsIgnoreCase("not.is.null")) {
            return isNotNull(column);
        }
        int dot = rest.indexOf('.');
        Operator operator = dot < 0 ? null : Operator.fromToken(rest.substring(0, dot));
        if (operator == null && (!rest.equals(rest.stripLeading()) || !column.equals(column.stripTrailing()))) {
            throw invalid(filter, "no spaces around '=': a column name is taken as written, spaces included,"
                    + " so write it as " + column.strip() + "=" + rest.strip());
        }
        if (operator == null || operator == Operator.IS_NULL || operator == Operator.IS_NOT_NULL) {
            throw invalid(filter, "unknown operator; use eq, neq, lt, lte, gt, gte, in, is.null or not.is.null"
                    + " (a column name with = in it goes in double quotes: \"a=b\"=eq.1)");
        }
        String value = rest.substring(dot + 1);
        if (operator == Operator.IN) {
            return new Condition(column, operator, List.copyOf(parseList(filter, value)));
        }
        return new Condition(column, operator, List.of(value));
    }

    /** Reads the double-quoted name at the start of the filter into {@code name}; returns its closing quote. */
    private static int quotedName(String filter, StringBuilder name) {
        for (int i = 1; i < filter.length(); i++) {
            char c = filter.charAt(i);
            if (c != '"') {
                name.append(c);
            } else if (i + 1 < filter.length() && filter.charAt(i + 1) == '"') {
                name.append('"');
                i++;
            } else {
                return i;
            }
        }
        throw invalid(filter, "the quoted column name is not closed");
    }

    private static List<String> parseList(String filter, String text) {
        if (text.length() < 2 || text.charAt(0) != '(' || text.charAt(text.length() - 1) != ')') {
            throw invalid(filter, "in takes a list in parentheses, e.g. in.(1,2,3)");
        }
        List<String> items = new ArrayList<>();
        String body = text.substring(1, text.length() - 1);
        StringBuilder item = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < body.length()) {
                    item.append(body.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    item.append(c);
                }
            } else if (c == '"' && item.toString().isBlank() && !wasQuoted) {
                item.setLength(0);
                quoted = true;
                wasQuoted = true;
            } else if (c == ',') {
                items.add(finishItem(filter, item, wasQuoted));
                item.setLength(0);
                wasQuoted = false;
            } else if (wasQuoted && Character.isWhitespace(c)) {
                continue;
            } else if (wasQuoted) {
                throw invalid(filter, "text after a closing quote in the list");
            } else {
                item.append(c);
            }
        }
        if (quoted) {
            throw invalid(filter, "a quote in the list is not closed");
        }
        items.add(finishItem(filter, item, wasQuoted));
        return items;
    }

    /** An unquoted item loses the spaces around it ({@code in.(1, 2)}); a quoted one is kept as written. */
    private static String finishItem(String filter, StringBuilder item, boolean wasQuoted) {
        String text = wasQuoted ? item.toString() : item.toString().strip();
        if (text.isEmpty() && !wasQuoted) {
            throw invalid(filter, "the list has an empty item; quote it (\"\") if you mean the empty string");
        }
        return text;
    }

    private static IllegalArgumentException invalid(String filter, String reason) {
        return new IllegalArgumentException("Filter '" + filter + "' is not valid: " + reason);
    }

    @Override
    public String toString() {
        String name = column.contains("=") || column.startsWith("\"")
                ? "\"" + column.replace("\"", "\"\"") + "\"" : column;
        return switch (operator) {
            case IS_NULL, IS_NOT_NULL -> name + "=" + operator.token();
            case IN -> name + "=in." + values.stream().map(String::valueOf).toList().toString()
                    .replace('[', '(').replace(']', ')');
            default -> name + "=" + operator.token() + "." + values.get(0);
        };
    }
}
