package io.pgflash.core.driver.trigger;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.RowDecoder;
import io.pgflash.core.driver.RowDecoder.TableShapeChangedException;
import io.pgflash.core.value.RecordLiteral;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A table the capture trigger reports, and how its items become events: {@code N<row>} (new), {@code O<row>} (old),
 * {@code U<length>:<old><new>}. The description is refreshed when the table was altered since it was read; rows
 * written before an alteration are read in the shape they had, where that is certain.
 */
final class CapturedTable {

    private volatile TableMetadata table;
    /** Which column places hold dropped columns; read with the first row that does not fit the description. */
    private volatile List<Boolean> droppedSlots;
    private final Set<Operation> operations;

    CapturedTable(TableMetadata table, Set<Operation> operations) {
        this.table = table;
        this.operations = Set.copyOf(operations);
    }

    TableMetadata table() {
        return table;
    }

    Set<Operation> operations() {
        return operations;
    }

    /**
     * The events of one statement's items (a null item, lost, is skipped), positioned {@code (major, index)}.
     * TRUNCATE has no items and gives one event.
     */
    List<ChangeEvent> events(Operation operation, long transactionId, Instant time, List<String> items, long major,
            DriverContext context) throws SQLException {
        if (operation == Operation.TRUNCATE) {
            return List.of(new ChangeEvent(Operation.TRUNCATE, Operation.TRUNCATE, table.name(), null, null, null,
                    Set.of(), transactionId, time, new Position(major, 0)));
        }
        List<ChangeEvent> events = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            if (item == null) {
                continue;
            }
            Row newRow = null;
            Row oldRow = null;
            switch (item.charAt(0)) {
                case 'N' -> newRow = row(item.substring(1), context);
                case 'O' -> oldRow = row(item.substring(1), context);
                case 'U' -> {
                    String[] rows = Notification.splitUpdate(item.substring(1));
                    oldRow = row(rows[0], context);
                    newRow = row(rows[1], context);
                }
                default -> throw new IllegalStateException("unknown item kind '" + item.charAt(0) + "'");
            }
            Set<String> changed = oldRow != null && newRow != null ? RowDecoder.changedColumns(oldRow, newRow) : Set.of();
            events.add(new ChangeEvent(operation, operation, table.name(), newRow, oldRow, null, changed,
                    transactionId, time, new Position(major, i)));
        }
        return events;
    }

    private Row row(String text, DriverContext context) throws SQLException {
        List<String> fields = RecordLiteral.fields(text);
        try {
            return decode(fields);
        } catch (TableShapeChangedException | IllegalArgumentException e) {
            // the table was altered since we described it
            try (Connection connection = context.connections().open()) {
                table = context.catalog().describe(connection, table.oid());
                droppedSlots = context.catalog().droppedSlots(connection, table.oid());
            }
            return decode(fields);
        }
    }

    /**
     * Decodes a row of the table as described, or one written before columns were added (its values are the first
     * columns') or dropped (it has a value in every column place, dropped ones included). When columns were both
     * added and dropped since, an older row's values cannot be told apart: that fails.
     */
    private Row decode(List<String> fields) {
        List<Column> columns = table.columns();
        List<Boolean> dropped = droppedSlots;
        if (fields.size() == columns.size() || dropped == null) {
            return RowDecoder.decode(table, fields);
        }
        boolean anyDropped = dropped.contains(true);
        if (!anyDropped && fields.size() < columns.size()) {
            return RowDecoder.decode(columns.subList(0, fields.size()), fields);
        }
        if (anyDropped && fields.size() == dropped.size()) {
            List<String> liveFields = new ArrayList<>(columns.size());
            for (int i = 0; i < fields.size(); i++) {
                if (!dropped.get(i)) {
                    liveFields.add(fields.get(i));
                }
            }
            return RowDecoder.decode(table, liveFields);
        }
        throw new TableShapeChangedException("a row of " + table.name() + " has " + fields.size() + " values, but "
                + "the table has " + columns.size() + " columns now and had columns both added and dropped since the "
                + "row was written, so its values cannot be matched to columns");
    }
}
