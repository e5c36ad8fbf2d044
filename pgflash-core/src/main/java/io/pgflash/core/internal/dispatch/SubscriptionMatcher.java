package io.pgflash.core.internal.dispatch;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Condition;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.TableName;
import io.pgflash.core.catalog.TableMetadata;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns a table's change into what one subscription sees: applies the filter (with enter/leave semantics for
 * UPDATE), partial fields, the key and key changes, and the subscription's operations. Pure: no I/O, no state.
 */
public final class SubscriptionMatcher {

    private final SubscriptionSpec spec;
    /** The spec's operations, as a set that answers with one look (the reader asks for every matched change). */
    private final Set<Operation> operations;
    private final List<CompiledCondition> conditions;
    private final List<String> keyColumns;
    private final boolean keyIsPrimaryKey;
    private final Set<String> projection;
    private final Lookup lookup;

    /**
     * A column and the values (as {@link ValueKey}s) one of which it must hold for this subscription to see a row,
     * before or after the change: where the routing looks the subscription up.
     */
    record Lookup(String column, List<Object> keys) {
    }

    private SubscriptionMatcher(SubscriptionSpec spec, List<CompiledCondition> conditions, List<String> keyColumns,
            boolean keyIsPrimaryKey, Set<String> projection) {
        this.spec = spec;
        this.operations = spec.operations().isEmpty() ? EnumSet.noneOf(Operation.class)
                : EnumSet.copyOf(spec.operations());
        this.conditions = conditions;
        this.keyColumns = keyColumns;
        this.keyIsPrimaryKey = keyIsPrimaryKey;
        this.projection = projection;
        this.lookup = lookupOf(conditions);
    }

    /** The condition with the fewest values to look up (an eq before an in), if one can be looked up. */
    private static Lookup lookupOf(List<CompiledCondition> conditions) {
        Lookup best = null;
        for (CompiledCondition condition : conditions) {
            List<Object> keys = condition.lookupKeys();
            if (!keys.isEmpty() && (best == null || keys.size() < best.keys().size())) {
                best = new Lookup(condition.column(), keys);
            }
        }
        return best;
    }

    /** Checks the spec against the table: columns, key and filter values must fit, or this fails naming them. */
    public static SubscriptionMatcher compile(SubscriptionSpec spec, TableMetadata table) {
        for (String column : spec.columns()) {
            requireColumn(table, column, "Partial field");
        }
        List<String> key = spec.key().isEmpty() ? table.primaryKey() : spec.key();
        if (key.isEmpty()) {
            throw new PgFlashException("Table " + table.name() + " has no primary key; give the subscription a key:"
                    + " key(\"column\", ...) naming columns that identify a row (in Spring"
                    + " @PgChangeListener(key = \"column\"))");
        }
        for (String column : key) {
            requireColumn(table, column, "Key column");
        }
        List<CompiledCondition> conditions = new ArrayList<>();
        for (Condition condition : spec.conditions()) {
            conditions.add(CompiledCondition.compile(condition, table));
        }
        Set<String> projection = null;
        if (!spec.columns().isEmpty()) {
            projection = new LinkedHashSet<>(key);
            projection.addAll(spec.columns());
        }
        return new SubscriptionMatcher(spec, List.copyOf(conditions), List.copyOf(key),
                new java.util.HashSet<>(key).equals(new java.util.HashSet<>(table.primaryKey())), projection);
    }

    private static void requireColumn(TableMetadata table, String column, String what) {
        if (table.column(column).isEmpty()) {
            throw new PgFlashException(what + " '" + column + "': table " + table.name() + " has no such column;"
                    + " its columns are " + table.columnNames());
        }
    }

    public SubscriptionSpec spec() {
        return spec;
    }

    /** Where to look this subscription up by a row's value, or null when every change of its table is a candidate. */
    Lookup lookup() {
        return lookup;
    }

    /** Whether the key in use is the table's primary key (the spec's names its columns, or names none). */
    public boolean keyIsPrimaryKey() {
        return keyIsPrimaryKey;
    }

    /** The key columns in use (the spec's, or the primary key). */
    public List<String> keyColumns() {
        return keyColumns;
    }

    /** The events this subscription gets for a table change with full rows: none, one, or two (key change). */
    public List<ChangeEvent> match(ChangeEvent change) {
        return switch (change.sourceOperation()) {
            case INSERT -> matches(change.newRow()) ? deliver(change, Operation.INSERT, change.newRow(), null) : List.of();
            // an old row of only the key (WAL, REPLICA IDENTITY not FULL) cannot be judged: the DELETE is delivered
            case DELETE -> !hasAll(change.oldRow()) || matches(change.oldRow())
                    ? deliver(change, Operation.DELETE, null, change.oldRow()) : List.of();
            case TRUNCATE -> operations.contains(Operation.TRUNCATE) ? List.of(change) : List.of();
            case UPDATE -> matchUpdate(change);
            case READ -> {
                ChangeEvent read = read(change.table(), change.newRow(), change.timestamp(), change.position());
                yield read == null ? List.of() : List.of(read);
            }
        };
    }

    /**
     * A snapshot's row as this subscription sees it, a {@code READ} event at {@code position}, or null when its filter
     * leaves the row out. Asked for by this subscription, so delivered whatever its operations.
     */
    public @Nullable ChangeEvent read(TableName table, Row row, Instant timestamp, Position position) {
        if (!matches(row)) {
            return null;
        }
        return new ChangeEvent(Operation.READ, Operation.READ, table, projection == null ? row : row.only(projection),
                null, row.only(keyColumns), Set.of(), 0, timestamp, position);
    }

    private List<ChangeEvent> matchUpdate(ChangeEvent change) {
        Row newRow = change.newRow();
        Row oldRow = change.oldRow();
        boolean matchesNow = matches(newRow);
        // An old row the WAL did not carry (its REPLICA IDENTITY changed since subscribing, or a partition made since
        // has none) is taken to have matched: a row leaving the filter then arrives as a DELETE of its key, better
        // told than lost, as a DELETE whose old row holds only the key does.
        boolean matchedBefore = oldRow == null || !hasAll(oldRow) || matches(oldRow);
        if (matchesNow && matchedBefore) {
            if (spec.splitKeyChanges() && oldRow != null && keyChanged(oldRow, newRow)) {
                List<ChangeEvent> split = new ArrayList<>(deliver(change, Operation.DELETE, null, oldRow));
                split.addAll(deliver(change, Operation.INSERT, newRow, null));
                return split;
            }
            if (!spec.columns().isEmpty() && spec.columns().stream().noneMatch(change.changedColumns()::contains)) {
                return List.of();
            }
            return deliver(change, Operation.UPDATE, newRow, oldRow);
        }
        if (matchesNow) {
            return deliver(change, Operation.INSERT, newRow, oldRow);
        }
        if (matchedBefore) {
            return deliver(change, Operation.DELETE, newRow, oldRow);
        }
        return List.of();
    }

    private boolean keyChanged(Row oldRow, Row newRow) {
        for (String column : keyColumns) {
            if (oldRow.contains(column) && !Objects.deepEquals(oldRow.get(column), newRow.get(column))) {
                return true;
            }
        }
        return false;
    }

    private boolean hasKey(@Nullable Row row) {
        return row != null && keyColumns.stream().allMatch(row::contains);
    }

    /** Whether the old row carries every filtered column (WAL drivers may only send the key). */
    private boolean hasAll(Row row) {
        return conditions.stream().allMatch(c -> row.contains(c.column()));
    }

    private boolean matches(Row row) {
        for (CompiledCondition condition : conditions) {
            if (!condition.test(row)) {
                return false;
            }
        }
        return true;
    }

    private List<ChangeEvent> deliver(ChangeEvent change, Operation operation, Row newRow, Row oldRow) {
        if (operation != Operation.READ && !operations.contains(operation)) {
            return List.of();
        }
        // a DELETE's key is its old row's; one made of an UPDATE whose old row lacks it (a leave) takes the new row's
        Row keyRow = (operation == Operation.DELETE && (newRow == null || hasKey(oldRow)) ? oldRow : newRow)
                .only(keyColumns);
        if (projection != null) {
            newRow = newRow == null ? null : newRow.only(projection);
            oldRow = oldRow == null ? null : oldRow.only(projection);
        }
        Set<String> changed = operation == Operation.UPDATE ? change.changedColumns() : Set.of();
        return List.of(change.reshaped(operation, newRow, oldRow, keyRow, changed));
    }
}
