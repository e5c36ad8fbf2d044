package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.time.Instant;
import java.util.Set;

/**
 * One row change as a subscription sees it.
 *
 * @param operation what happened from the subscription's point of view ({@code READ}: a snapshot's row)
 * @param sourceOperation what happened in the database; differs from {@code operation} when an UPDATE made a row
 *        enter ({@code INSERT}) or leave ({@code DELETE}) the subscription's filter, or changed its key
 * @param table the table, schema-qualified
 * @param newRow the row after the change (INSERT, UPDATE, and a DELETE by which an UPDATE left the filter), else
 *        null
 * @param oldRow the row before the change (UPDATE, DELETE, and an INSERT by which an UPDATE entered the filter) where
 *        the driver has it, else null
 * @param key the key columns of the row ({@code newRow}'s, or {@code oldRow}'s for DELETE); null for TRUNCATE
 * @param changedColumns for UPDATE, the columns whose value changed; empty otherwise
 * @param transactionId the writing transaction's 32-bit id (xid), the same from every driver; 0 for a snapshot's
 *        {@code READ} row
 * @param timestamp commit time where the driver knows it (WAL), else the writing statement's start time; for a
 *        snapshot's row, when its chunk entered the stream
 * @param position monotonic place in the stream, the same on redelivery, so usable as an idempotency key (with
 *        {@code operation} for the two halves of a split key change); a snapshot's {@code READ} rows share the
 *        position where their chunk entered the stream (with the key, an idempotency key for them)
 */
public record ChangeEvent(
        Operation operation,
        Operation sourceOperation,
        TableName table,
        @Nullable Row newRow,
        @Nullable Row oldRow,
        @Nullable Row key,
        Set<String> changedColumns,
        long transactionId,
        Instant timestamp,
        Position position) {

    public ChangeEvent {
        changedColumns = changedColumns.isEmpty() ? Set.of() : Set.copyOf(changedColumns); // mostly empty: no copy
    }

    /** The same event seen as another operation with other rows (used when filters and keys reshape an event). */
    public ChangeEvent reshaped(Operation newOperation, @Nullable Row newNewRow, @Nullable Row newOldRow,
            @Nullable Row newKey, Set<String> newChanged) {
        return new ChangeEvent(newOperation, sourceOperation, table, newNewRow, newOldRow, newKey, newChanged,
                transactionId, timestamp, position);
    }

    /**
     * The row the event is about: the new row, or the old one for DELETE (where the driver has it), which for an
     * UPDATE that left the filter is the row as it matched; null for TRUNCATE.
     */
    public @Nullable Row row() {
        if (operation == Operation.DELETE && oldRow != null) {
            return oldRow;
        }
        return newRow != null ? newRow : oldRow;
    }
}
