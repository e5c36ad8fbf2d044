package io.pgflash.core.driver.trigger;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.catalog.Catalog;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.DriverContext;
import io.pgflash.core.driver.RowDecoder;
import io.pgflash.core.driver.RowDecoder.TableShapeChangedException;
import io.pgflash.core.internal.value.RecordLiteral;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A table the capture trigger reports, and how its items become events: {@code N<row>} (new), {@code O<row>} (old),
 * {@code U<length>:<old><new>}. The description is refreshed when the table was altered since it was read. Rows
 * written before an alteration are read in the shape they had where that is certain (see {@link RowLayouts}), which
 * the durable mode helps with the layout it recorded when it had last read everything.
 */
final class CapturedTable {

    /** The description, and the layout of the table's column places it was read with (null until needed). */
    private volatile Shape shape;
    /** The layout when the reader last had read everything, or null when not known. */
    private volatile String layoutThen;
    /** Whether the layout should be recorded the next time the reader has read everything. */
    private volatile boolean layoutToRecord = true;
    private final Set<Operation> operations;

    /**
     * @param valuesChecked described again after a value could not be read, and found unchanged: such values are kept
     *        as text from then on without describing the table for each
     */
    private record Shape(TableMetadata table, String layout, boolean valuesChecked) {

        Shape(TableMetadata table, String layout) {
            this(table, layout, false);
        }
    }

    CapturedTable(TableMetadata table, Set<Operation> operations) {
        this(table, null, null, operations);
    }

    /**
     * @param layoutNow the layout {@code table} was described with
     * @param layoutThen the layout when the reader last had read everything written before, or null
     */
    CapturedTable(TableMetadata table, String layoutNow, String layoutThen, Set<Operation> operations) {
        this.shape = new Shape(table, layoutNow);
        this.layoutThen = layoutThen;
        this.operations = Set.copyOf(operations);
    }

    /** The same table capturing other operations, with what it knows of layouts. */
    CapturedTable withOperations(Set<Operation> operations) {
        CapturedTable changed = new CapturedTable(shape.table(), shape.layout(), layoutThen, operations);
        changed.layoutToRecord = layoutToRecord;
        return changed;
    }

    boolean layoutToRecord() {
        return layoutToRecord;
    }

    /**
     * Describes the table again, for a reader that is about to check it has read everything: if so, it records the
     * layout and calls {@link #readEverythingOf(String)}. Returns the layout now.
     */
    String describeAgain(Connection connection, Catalog catalog) throws SQLException {
        layoutToRecord = true; // first: a copy made meanwhile (withOperations) records it too
        boolean autoCommit = connection.getAutoCommit();
        int isolation = connection.getTransactionIsolation();
        // the columns and the layout from one snapshot, or an ALTER between them would pair them wrongly
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            TableMetadata table = catalog.describe(connection, shape.table().oid());
            String layout = RowLayouts.layout(catalog.droppedSlots(connection, table.oid()));
            connection.commit();
            shape = new Shape(table, layout);
            return layout;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setTransactionIsolation(isolation);
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Every row written before the table had {@code layout} has been read. */
    void readEverythingOf(String layout) {
        layoutThen = layout;
        layoutToRecord = false;
    }

    TableMetadata table() {
        return shape.table();
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
            return List.of(new ChangeEvent(Operation.TRUNCATE, Operation.TRUNCATE, table().name(), null, null, null,
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
            events.add(new ChangeEvent(operation, operation, table().name(), newRow, oldRow, null, changed,
                    transactionId, time, new Position(major, i)));
        }
        return events;
    }

    private Row row(String text, DriverContext context) throws SQLException {
        List<String> fields = RecordLiteral.fields(text);
        Shape before = shape;
        try {
            return decode(fields, before.valuesChecked());
        } catch (TableShapeChangedException | IllegalArgumentException e) {
            // the table may have been altered since we described it; described again, a value still unreadable is
            // kept as text
            try (Connection connection = context.connections().open()) {
                describeAgain(connection, context.catalog());
            }
            Shape now = shape;
            if (now.table().equals(before.table()) && Objects.equals(now.layout(), before.layout())) {
                shape = new Shape(now.table(), now.layout(), true);
            }
            return decode(fields, true);
        }
    }

    /** Decodes a row of the table as described, or, where it is certain, one written before it was altered. */
    private Row decode(List<String> fields, boolean keepUnreadable) {
        Shape current = shape;
        TableMetadata table = current.table();
        String then = layoutThen;
        if (current.layout() == null
                || fields.size() == table.columns().size() && (then == null || then.equals(current.layout()))) {
            return RowDecoder.decode(table, fields, keepUnreadable);
        }
        List<Integer> places = RowLayouts.placesOf(current.layout(), then, fields.size());
        List<Column> columns = new ArrayList<>(places.size());
        List<String> values = new ArrayList<>(places.size());
        for (int i = 0; i < places.size(); i++) {
            int place = places.get(i);
            if (current.layout().charAt(place) == 'L') {
                columns.add(table.columns().get(liveBefore(current.layout(), place)));
                values.add(fields.get(i));
            }
        }
        return RowDecoder.decode(columns, values, keepUnreadable);
    }

    /** The number of live columns before a place: the index of its column among the live ones. */
    private static int liveBefore(String layout, int place) {
        int live = 0;
        for (int i = 0; i < place; i++) {
            if (layout.charAt(i) == 'L') {
                live++;
            }
        }
        return live;
    }
}
