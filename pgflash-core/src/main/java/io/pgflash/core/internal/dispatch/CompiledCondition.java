package io.pgflash.core.internal.dispatch;

import io.pgflash.core.Condition;
import io.pgflash.core.Operator;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Row;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.catalog.PgType;
import io.pgflash.core.internal.value.TypeOids;
import io.pgflash.core.internal.value.ValueDecoder;
import java.time.DateTimeException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** A {@link Condition} checked against a table: its values converted to the column's Java type, ready to test rows. */
final class CompiledCondition {

    /** Types whose values have an order pgflash can compare the way PostgreSQL does. */
    private static final Set<Integer> ORDERED = Set.of(TypeOids.INT2, TypeOids.INT4, TypeOids.INT8, TypeOids.OID,
            TypeOids.NUMERIC, TypeOids.FLOAT4, TypeOids.FLOAT8, TypeOids.DATE, TypeOids.TIME, TypeOids.TIMETZ,
            TypeOids.TIMESTAMP, TypeOids.TIMESTAMPTZ, TypeOids.TEXT, TypeOids.VARCHAR, TypeOids.BPCHAR, TypeOids.NAME);

    private final Condition condition;
    private final List<Object> values;

    private CompiledCondition(Condition condition, List<Object> values) {
        this.condition = condition;
        this.values = values;
    }

    static CompiledCondition compile(Condition condition, TableMetadata table) {
        Column column = table.column(condition.column()).orElseThrow(() -> new PgFlashException("Filter '" + condition
                + "': table " + table.name() + " has no column '" + condition.column() + "'; its columns are "
                + table.columnNames()));
        PgType type = column.type();
        if (condition.operator().isOrdering() && (type.isArray() || !ORDERED.contains(type.baseOid()))) {
            throw new PgFlashException("Filter '" + condition + "': column '" + column.name() + "' of " + table.name()
                    + " has type " + type.sqlName() + ", which " + condition.operator().token()
                    + " cannot order; use eq, neq or in on it");
        }
        List<Object> typed = condition.values().stream().map(value -> convert(condition, table, column, value)).toList();
        return new CompiledCondition(condition, typed);
    }

    private static Object convert(Condition condition, TableMetadata table, Column column, Object value) {
        if (value == null) {
            throw new PgFlashException("Filter '" + condition + "': use is.null instead of comparing with null");
        }
        if (!(value instanceof String) && !(value instanceof Number)) {
            return value;
        }
        String text = value.toString();
        try {
            return ValueDecoder.decode(column.type(), text);
        } catch (IllegalArgumentException | DateTimeException e) {
            Object lenient = FilterValues.lenient(column.type(), text);
            if (lenient != null) {
                return lenient;
            }
            throw new PgFlashException("Filter '" + condition + "' on " + table.name() + ": " + e.getMessage()
                    + FilterValues.example(column.type()), e);
        }
    }

    String column() {
        return condition.column();
    }

    /**
     * The values a row's column must equal for this condition to hold, as {@link ValueKey}s, when it is an
     * {@code eq} or {@code in} whose values can be looked up by key; empty otherwise.
     */
    List<Object> lookupKeys() {
        if (condition.operator() != Operator.EQ && condition.operator() != Operator.IN) {
            return List.of();
        }
        List<Object> keys = values.stream().map(ValueKey::of).toList();
        return keys.contains(ValueKey.NONE) ? List.of() : keys;
    }

    /** SQL semantics: a NULL column value matches only is.null. */
    boolean test(Row row) {
        Object actual = row.get(condition.column());
        Operator operator = condition.operator();
        if (operator == Operator.IS_NULL) {
            return actual == null;
        }
        if (actual == null) {
            return false;
        }
        return switch (operator) {
            case IS_NOT_NULL -> true;
            case EQ -> same(actual, values.get(0));
            case NEQ -> !same(actual, values.get(0));
            case IN -> values.stream().anyMatch(v -> same(actual, v));
            case LT -> compare(actual, values.get(0)) < 0;
            case LTE -> compare(actual, values.get(0)) <= 0;
            case GT -> compare(actual, values.get(0)) > 0;
            case GTE -> compare(actual, values.get(0)) >= 0;
            case IS_NULL -> false;
        };
    }

    private static boolean same(Object actual, Object expected) {
        if (actual instanceof Number a && expected instanceof Number e) {
            // by value, whatever the Java types: 1.0 = 1.00, and a column retyped since the filter compiled
            return Numbers.compare(a, e) == 0;
        }
        return Objects.deepEquals(actual, expected);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compare(Object actual, Object expected) {
        if (actual instanceof Number a && expected instanceof Number e) {
            return Numbers.compare(a, e); // numeric NaN arrives as a Double; a retyped column as another type
        }
        return ((Comparable) actual).compareTo(expected);
    }

    @Override
    public String toString() {
        return condition.toString();
    }
}
