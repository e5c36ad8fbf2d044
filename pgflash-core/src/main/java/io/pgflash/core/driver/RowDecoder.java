package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import io.pgflash.core.Row;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.internal.value.ColumnList;
import io.pgflash.core.internal.value.RowValues;
import io.pgflash.core.internal.value.ValueDecoder;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds typed rows from column texts in table order, and compares rows; shared by the drivers. */
public final class RowDecoder {

    private static final Logger log = LoggerFactory.getLogger(RowDecoder.class);
    /** Columns already warned about, so a table full of such values does not flood the log. */
    private static final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** Marks a value the driver did not receive (compared by identity). */
    @SuppressWarnings("StringOperationCanBeSimplified")
    public static final String UNCHANGED = new String("<unchanged>");

    private RowDecoder() {
    }

    /**
     * Decodes {@code texts} (one per live column, {@code null} for NULL) into a row of {@code table}.
     *
     * @param keepUnreadable keep a value the decoder cannot read as its text (logged once per column) instead of
     *        failing the row: for rows whose column types are known to be current
     * @throws TableShapeChangedException when the number of values does not match the known columns (the table
     *         was altered since it was described)
     */
    public static Row decode(TableMetadata table, List<@Nullable String> texts, boolean keepUnreadable) {
        if (texts.size() != table.columns().size()) {
            throw new TableShapeChangedException(table.name() + " has " + table.columns().size() + " known columns"
                    + " but a row with " + texts.size() + " values arrived");
        }
        return decode(table.columns(), texts, keepUnreadable);
    }

    /**
     * Decodes {@code texts} (one per column, {@code null} for NULL, {@link #UNCHANGED} for an unchanged TOASTed value
     * that was not sent) into a row of {@code columns}; {@code keepUnreadable} as above.
     */
    public static Row decode(List<Column> columns, List<@Nullable String> texts, boolean keepUnreadable) {
        ColumnList places = ColumnList.copyOf(columns);
        RowValues values = new RowValues(places);
        Set<String> unchanged = Set.of();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            Column column = places.get(i);
            if (text == UNCHANGED) {
                if (unchanged.isEmpty()) {
                    unchanged = new HashSet<>();
                }
                unchanged.add(column.name());
                values.markAbsent(i);
            } else if (text != null) {
                values.set(i, value(column, text, keepUnreadable));
            }
        }
        for (int i = texts.size(); i < places.size(); i++) {
            values.markAbsent(i); // columns of which no text came are not in the row
        }
        return new Row(values, unchanged);
    }

    private static Object value(Column column, String text, boolean keepUnreadable) {
        try {
            return ValueDecoder.decode(column.type(), text);
        } catch (IllegalArgumentException e) {
            if (!keepUnreadable) {
                throw e;
            }
            // a value PostgreSQL printed but Java's type cannot hold: better delivered as text than not at all
            if (warned.size() < 1000 && warned.add(column.name() + ":" + column.type().sqlName())) {
                log.warn("Column {}: {}; such values are delivered as their text", column.name(), e.getMessage());
            }
            return text;
        }
    }

    /** The columns whose values differ between two rows of one table (unchanged TOAST values count as unchanged). */
    public static Set<String> changedColumns(Row oldRow, Row newRow) {
        Set<String> changed = new HashSet<>();
        for (String column : newRow.columns()) {
            if (oldRow.contains(column) && !Objects.deepEquals(oldRow.get(column), newRow.get(column))) {
                changed.add(column);
            }
        }
        return changed;
    }

    /** The row's shape no longer matches the table description; describe the table again. */
    public static final class TableShapeChangedException extends RuntimeException {
        public TableShapeChangedException(String message) {
            super(message);
        }
    }
}
