package io.pgflash.core;

import java.time.Instant;

/**
 * A snapshot of a subscription's table began, resumed, completed or failed, delivered to its listener in order with
 * its events: {@link Phase#STARTED} before the first {@link Operation#READ} row, {@link Phase#COMPLETED} after the
 * last, or {@link Phase#FAILED} after the last it delivered (the rows it brought are then not the whole table).
 * {@link Phase#RESUMED} replaces STARTED when an {@link SnapshotMode#INITIAL} snapshot that a crash or stop
 * interrupted goes on after the rows the listener had handled: the rows before it are not delivered again.
 *
 * @param table the table read
 * @param phase which end of the snapshot this is
 * @param rows the rows delivered so far (0 when started; those handled before the interruption when resumed; the
 *        total, across restarts, when completed or failed)
 * @param at when the phase was reached
 */
public record SnapshotNotice(TableName table, Phase phase, long rows, Instant at) {

    public enum Phase {
        STARTED, RESUMED, COMPLETED, FAILED
    }
}
