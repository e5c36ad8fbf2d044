package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.time.Instant;

/**
 * Where a subscription's snapshot stands: under way, or its last one done or failed.
 *
 * @param subscriptionId the subscription it is for
 * @param table the table read
 * @param rowsRead rows read from the table so far
 * @param rowsDelivered rows delivered as {@code READ} events so far (those the filter kept and no change touched)
 * @param estimatedRows the table's row count as the server's statistics estimate it when the snapshot began
 *        ({@code pg_class.reltuples}), or -1 when it has none (never analyzed)
 * @param startedAt when it began
 * @param endedAt when it completed or failed; null while under way
 * @param failure why it failed; null unless it did
 */
public record SnapshotProgress(String subscriptionId, TableName table, long rowsRead, long rowsDelivered,
        long estimatedRows, Instant startedAt, @Nullable Instant endedAt, @Nullable String failure) {

    /** Whether it is under way. */
    public boolean running() {
        return endedAt == null;
    }

    /** Rows read in percent of the estimate (at most 100), or -1 without an estimate; 100 once completed. */
    public int percent() {
        if (endedAt != null && failure == null) {
            return 100;
        }
        return estimatedRows <= 0 ? -1 : (int) Math.min(100, rowsRead * 100 / estimatedRows);
    }
}
