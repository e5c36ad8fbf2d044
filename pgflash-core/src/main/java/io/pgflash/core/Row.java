package io.pgflash.core;

import io.pgflash.core.internal.value.RowValues;
import org.jspecify.annotations.Nullable;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One row's column values, in table order, as typed Java values ({@code null} for SQL NULL).
 * <p>
 * Types by PostgreSQL type: smallint/integer → Integer, bigint/oid → Long, numeric → BigDecimal, real → Float,
 * double precision → Double, boolean → Boolean, text types, enums, json/jsonb and unknown types → String, uuid → UUID,
 * bytea → byte[], date → LocalDate, time → LocalTime, timetz → OffsetTime, timestamp → LocalDateTime,
 * timestamptz → OffsetDateTime in UTC, interval → PGInterval, arrays → List of the element type (nested for more
 * dimensions). A column the driver could not read because it is an unchanged TOASTed value is
 * {@linkplain #isUnchanged(String) unchanged}: it has no value, which is different from NULL.
 */
public final class Row {

    /** What {@link #get} finds for a column the row does not carry (compared by identity). */
    private static final Object MISSING = new Object();

    private final Map<String, Object> values;
    private final Set<String> unchanged;

    public Row(Map<String, ? extends @Nullable Object> values) {
        this(values, Set.of());
    }

    public Row(Map<String, ? extends @Nullable Object> values, Set<String> unchanged) {
        this(unchanged.isEmpty() ? Set.of() : Set.copyOf(unchanged), kept(values));
    }

    /** Takes an unmodifiable map and an immutable set as they are: no copies on the path of every event. */
    private Row(Set<String> immutableUnchanged, Map<String, @Nullable Object> unmodifiable) {
        this.values = unmodifiable;
        this.unchanged = immutableUnchanged;
    }

    /** A decoder's values as they are (filled for this row), or else a copy; read-only either way. */
    private static Map<String, @Nullable Object> kept(Map<String, ? extends @Nullable Object> values) {
        return Collections.unmodifiableMap(values instanceof RowValues built && built.take() ? built
                : new LinkedHashMap<>(values));
    }

    /** The value of {@code column}; fails for a column this row does not carry, so typos do not read as NULL. */
    public @Nullable Object get(String column) {
        Object value = values.getOrDefault(column, MISSING); // one look, for a value that may be null
        if (value == MISSING) {
            if (unchanged.contains(column)) {
                throw new UnchangedValueException("Column '" + column + "' is an unchanged TOASTed value the driver did"
                        + " not receive; use REPLICA IDENTITY FULL on the table to get it");
            }
            throw new IllegalArgumentException("Row has no column '" + column + "'; it has " + values.keySet());
        }
        return value;
    }

    /** The value of {@code column} cast to {@code type}. */
    public <T> @Nullable T get(String column, Class<T> type) {
        return type.cast(get(column));
    }

    public boolean contains(String column) {
        return values.containsKey(column);
    }

    /** True when the column exists but its value was not sent (unchanged TOAST value). */
    public boolean isUnchanged(String column) {
        return unchanged.contains(column);
    }

    /** The columns whose value the driver did not receive (unchanged TOASTed values); usually empty. */
    public Set<String> unchangedColumns() {
        return unchanged;
    }

    /** The names of the columns this row carries, in table order. */
    public Set<String> columns() {
        return values.keySet();
    }

    /** Read-only view of the values (may hold nulls). */
    public Map<String, Object> asMap() {
        return values;
    }

    /** A row with only the given columns (those this row has). */
    public Row only(Collection<String> columns) {
        if (columns.size() == 1 && unchanged.isEmpty()) { // a key of one column: what every event carries
            String column = columns.iterator().next();
            return new Row(Set.of(), values.containsKey(column) ? Collections.singletonMap(column, values.get(column))
                    : Map.of());
        }
        LinkedHashMap<String, @Nullable Object> kept = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (columns.contains(entry.getKey())) {
                kept.put(entry.getKey(), entry.getValue());
            }
        }
        Set<String> keptUnchanged = unchanged.isEmpty() ? Set.of()
                : unchanged.stream().filter(columns::contains).collect(Collectors.toUnmodifiableSet());
        return new Row(keptUnchanged, Collections.unmodifiableMap(kept));
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Row row) || !values.keySet().equals(row.values.keySet()) || !unchanged.equals(row.unchanged)) {
            return false;
        }
        Iterator<Map.Entry<String, Object>> mine = values.entrySet().iterator();
        while (mine.hasNext()) {
            Map.Entry<String, Object> entry = mine.next();
            if (!Objects.deepEquals(entry.getValue(), row.values.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return values.keySet().hashCode();
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (out.length() > 1) {
                out.append(", ");
            }
            Object value = entry.getValue();
            out.append(entry.getKey()).append('=').append(value instanceof byte[] bytes ? bytes.length + " bytes" : value);
        }
        for (String column : unchanged) {
            out.append(out.length() > 1 ? ", " : "").append(column).append("=<unchanged>");
        }
        return out.append('}').toString();
    }
}
